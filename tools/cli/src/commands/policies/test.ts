import { parseArgs } from 'node:util';
import { assembleSuite, NO_STORED_RULES, runPolicyTests, type PolicyFileProblem, type PolicyTestSuite } from '@aegis/policy-service/policy-tests';
import type { RunPolicyTestsResponse } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import { EXIT, type CliIO, type Command } from '../../command.js';
import { loadTestFiles } from './test-files.js';
import { caseReports, writeProblems, writeReport, type RunSummary } from './test-report.js';
import { API_KEY_VARIABLE, readApiKey, runOnServer } from './test-server.js';

// `aegis policies test`: runs policy test files (docs/policy-tests.md). Offline by default,
// in this process with the service's own engine, on the files' drafts and the built-in
// roles (like `opa test`); with --server, through RunPolicyTests, so the tenant's stored
// rules take part.

/** Offline runs have no tenant of their own; files usually name one. */
const OFFLINE_TENANT = 'default';
const SERVER_TIMEOUT_MS = 60_000;

const HELP = `Usage: aegis policies test [options] <file-or-dir>...

Runs policy tests: YAML files of draft roles, draft policies and test cases
(principal, action, resource, expected effect). Every file given, and every
.yaml/.yml file under a directory, is read as one bundle. See docs/policy-tests.md.

Options:
  --json               Print the results (or the input errors) as JSON on stdout
  --server <url>       Run on a policy service (RunPolicyTests): the tenant's stored
                       roles and policies take part, with the files' drafts laid over them
                       (--policy-url is the same flag, as in the other commands)
  --tenant <id>        The tenant (overrides the files' \`tenant:\`)
  --api-key-file <f>   With --server: read the API key from this file
                       (default: the ${API_KEY_VARIABLE} environment variable)
  --ignore-stored      With --server: leave the stored rules out (drafts and built-in roles only)
  -h, --help           Show this help

Exit codes: 0 all tests passed, 1 a test failed, 2 invalid input,
            3 the server could not be used (unreachable, credential refused, error).
`;

interface Options {
  paths: string[];
  json: boolean;
  server?: string;
  tenant?: string;
  apiKeyFile?: string;
  ignoreStored: boolean;
}

export const policiesTest: Command = {
  name: 'test',
  summary: 'Run policy test files (offline, or on a server with --server)',
  help: HELP,
  async run(args, io) {
    const parsed = parseOptions(args);
    if (typeof parsed === 'string') {
      io.stderr.write(`aegis policies test: ${parsed}\n\n${HELP}`);
      return EXIT.invalidInput;
    }
    const opts = parsed;
    const loaded = await loadTestFiles(opts.paths, io.cwd);
    if (loaded.problems.length > 0) return invalid(io, loaded.problems, opts.json);
    const assembled = assembleSuite(loaded.files, { tenant: opts.tenant, defaultTenant: opts.server === undefined ? OFFLINE_TENANT : undefined });
    if (assembled.suite === undefined) return invalid(io, assembled.problems, opts.json);
    const suite = assembled.suite;
    const fileCount = loaded.files.length;
    return opts.server === undefined ? runOffline(io, suite, opts, fileCount) : runRemote(io, suite, opts, opts.server);
  },
};

function parseOptions(args: readonly string[]): Options | string {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        server: { type: 'string' },
        'policy-url': { type: 'string' },
        tenant: { type: 'string' },
        'api-key-file': { type: 'string' },
        'ignore-stored': { type: 'boolean', default: false },
      },
    });
    if (positionals.length === 0) return 'name at least one test file or directory';
    if (values.server !== undefined && values['policy-url'] !== undefined) return '--server and --policy-url are the same option: give one';
    values.server ??= values['policy-url'];
    if (values.server === undefined && (values['api-key-file'] !== undefined || values['ignore-stored'])) {
      return '--api-key-file and --ignore-stored need --server';
    }
    if (values.server !== undefined && !/^https?:\/\/[^/]/.test(values.server)) return '--server must be an http:// or https:// URL';
    return {
      paths: positionals,
      json: values.json,
      ...(values.server !== undefined ? { server: values.server } : {}),
      ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
      ...(values['api-key-file'] !== undefined ? { apiKeyFile: values['api-key-file'] } : {}),
      ignoreStored: values['ignore-stored'],
    };
  } catch (err) {
    return (err as Error).message;
  }
}

function runOffline(io: CliIO, suite: PolicyTestSuite, opts: Options, fileCount: number): number {
  const outcome = runPolicyTests(suite.run, NO_STORED_RULES, Date.now());
  if (outcome.violations !== undefined) return invalid(io, outcome.violations.map((v) => suite.locate(v)), opts.json);
  return report(io, suite, outcome.response, opts, {
    mode: 'offline',
    tenant: suite.run.tenantId,
    rules: `drafts from ${fileCount} file${fileCount === 1 ? '' : 's'} and the built-in roles`,
  });
}

async function runRemote(io: CliIO, suite: PolicyTestSuite, opts: Options, url: string): Promise<number> {
  const credential = await readApiKey(opts.apiKeyFile, io.env);
  if (credential.key === undefined) return invalid(io, [{ file: '', message: credential.problem ?? 'no credential' }], opts.json);
  const outcome = await runOnServer(url, credential.key, { ...suite.run, ignoreStored: opts.ignoreStored }, SERVER_TIMEOUT_MS);
  if (outcome.kind === 'invalid') return invalid(io, outcome.violations.map((v) => suite.locate(v)), opts.json);
  if (outcome.kind === 'failed') {
    if (opts.json) io.stdout.write(`${JSON.stringify({ errors: [{ file: '', message: outcome.message }] }, null, 2)}\n`);
    else io.stderr.write(`error: ${outcome.message}\n`);
    return EXIT.unavailable;
  }
  const revision = outcome.response.results[0]?.decision?.revision ?? 0n;
  return report(io, suite, outcome.response, opts, {
    mode: url,
    tenant: suite.run.tenantId,
    rules: opts.ignoreStored ? 'drafts and the built-in roles, stored rules ignored' : `stored rules at revision ${revision} with the drafts laid over them`,
  });
}

function report(io: CliIO, suite: PolicyTestSuite, response: RunPolicyTestsResponse, opts: Options, summary: RunSummary): number {
  const reports = caseReports(suite, response);
  writeReport(io, reports, summary, opts.json);
  return reports.every((r) => r.passed) ? EXIT.ok : EXIT.failed;
}

function invalid(io: CliIO, problems: readonly PolicyFileProblem[], json: boolean): number {
  writeProblems(io, problems, json);
  return EXIT.invalidInput;
}
