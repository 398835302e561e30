import type { Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import type { Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import type { FieldViolation } from '../domain/index.js';
import { MAX_CASES } from './case-validation.js';
import type { CaseExpectation } from './expectations.js';
import type { PolicyTestRun } from './run-policy-tests.js';
import type { PolicyTestFile } from './yaml-format.js';
import { displayPath, type PolicyFileProblem, type YamlPath, type YamlSource } from './yaml-source.js';

/** One case of a suite, with where it was written and what else it expects. */
export interface SuiteCase {
  readonly file: string;
  readonly name: string;
  readonly line: number | undefined;
  readonly expectation: CaseExpectation;
}

/**
 * Test files read together, like `opa test` reads its paths as one bundle: the drafts of
 * every file, and the tests of every file run against all of them.
 */
export interface PolicyTestSuite {
  /** The request: what RunPolicyTests is sent, or what runs in process. */
  readonly run: PolicyTestRun;
  /** Parallel to run.cases. */
  readonly cases: readonly SuiteCase[];
  /** Where a violation reported against the request (`draft_roles[0].inherits[0]`) was written. */
  locate(violation: FieldViolation): PolicyFileProblem;
}

export interface SuiteOptions {
  /** Overrides the files' `tenant:`. */
  tenant?: string;
  /** When neither the files nor `tenant` name one; without it, a tenant is required. */
  defaultTenant?: string;
}

interface Origin {
  readonly source: YamlSource;
  readonly path: YamlPath;
}

export function assembleSuite(files: readonly PolicyTestFile[], opts: SuiteOptions = {}): { suite?: PolicyTestSuite; problems: PolicyFileProblem[] } {
  const problems = files.flatMap((f) => f.problems);
  if (problems.length > 0) return { problems };

  const tenantId = opts.tenant ?? agreedTenant(files, problems) ?? opts.defaultTenant;
  if (tenantId === undefined) problems.push({ file: '', message: 'no tenant: set `tenant:` in a test file or pass --tenant' });

  const draftRoles = collect(files, (f) => f.roles, 'role', problems);
  const draftPolicies = collect(files, (f) => f.policies, 'policy', problems);
  const cases = files.flatMap((f) => f.tests.map((t) => ({ file: f, test: t })));
  if (cases.length === 0) problems.push({ file: '', message: 'no tests: none of the files has a `tests:` entry' });
  if (cases.length > MAX_CASES) problems.push({ file: '', message: `${cases.length} tests: one run takes at most ${MAX_CASES}` });
  for (const f of files) {
    const names = new Set<string>();
    for (const t of f.tests) {
      if (t.testCase.name !== '' && names.has(t.testCase.name)) {
        const path = [...t.path, 'name'];
        problems.push({ file: f.file, line: f.source.lineOf(path), field: displayPath(path), message: `another test in this file is named "${t.testCase.name}"` });
      }
      names.add(t.testCase.name);
    }
  }
  if (problems.length > 0 || tenantId === undefined) return { problems };

  const origins = {
    draft_roles: draftRoles.map((d) => d.origin),
    draft_policies: draftPolicies.map((d) => d.origin),
    cases: cases.map(({ file, test }) => ({ source: file.source, path: test.path })),
  };
  const suite: PolicyTestSuite = {
    run: {
      tenantId,
      cases: cases.map(({ test }) => test.testCase),
      draftRoles: draftRoles.map((d) => d.draft),
      draftPolicies: draftPolicies.map((d) => d.draft),
      ignoreStored: false,
    },
    cases: cases.map(({ file, test }) => ({
      file: file.file,
      name: test.testCase.name,
      line: file.source.lineOf(test.path),
      expectation: test.expectation,
    })),
    locate: (violation) => locate(origins, violation),
  };
  return { suite, problems: [] };
}

/** The files' `tenant:`, which must agree; a disagreement is a problem. */
function agreedTenant(files: readonly PolicyTestFile[], problems: PolicyFileProblem[]): string | undefined {
  let first: PolicyTestFile | undefined;
  for (const f of files) {
    if (f.tenant === undefined) continue;
    if (first === undefined) first = f;
    else if (f.tenant !== first.tenant) {
      problems.push({ file: f.file, line: f.source.lineOf(['tenant']), field: 'tenant', message: `"${f.tenant}" differs from "${first.tenant}" in ${first.file} (pass --tenant to choose)` });
    }
  }
  return first?.tenant;
}

/** Drafts of every file; a name drafted twice is a problem at its second place. */
function collect<T extends Role | Policy>(
  files: readonly PolicyTestFile[],
  drafts: (f: PolicyTestFile) => readonly { draft: T; path: YamlPath }[],
  what: string,
  problems: PolicyFileProblem[],
): { draft: T; origin: Origin }[] {
  const seen = new Map<string, string>();
  const out: { draft: T; origin: Origin }[] = [];
  for (const f of files) {
    for (const d of drafts(f)) {
      const earlier = seen.get(d.draft.name);
      const where = `${f.file}:${f.source.lineOf(d.path) ?? '?'}`;
      if (earlier !== undefined && d.draft.name !== '') {
        problems.push({ file: f.file, line: f.source.lineOf(d.path), field: displayPath(d.path), message: `${what} "${d.draft.name}" is also defined at ${earlier}` });
      }
      seen.set(d.draft.name, earlier ?? where);
      out.push({ draft: d.draft, origin: { source: f.source, path: d.path } });
    }
  }
  return out;
}

function locate(origins: Readonly<Record<string, readonly Origin[]>>, violation: FieldViolation): PolicyFileProblem {
  const match = /^(draft_roles|draft_policies|cases)\[(\d+)\](.*)$/.exec(violation.field);
  const origin = match === null ? undefined : origins[match[1] as string]?.[Number(match[2])];
  if (match === null || origin === undefined) return { file: '', field: violation.field, message: violation.description };
  const rest = match[3] as string;
  let found = origin.source.locate(origin.path, rest);
  // A test pins time with `time:` (or `now:`) as often as with `context.time`.
  if (match[1] === 'cases' && rest.startsWith('.context.time')) {
    const shorthand = origin.source.locate(origin.path, rest.slice('.context'.length));
    if (shorthand.resolved.length > found.resolved.length) found = shorthand;
  }
  return { file: origin.source.file, line: found.line, field: found.field, message: violation.description };
}
