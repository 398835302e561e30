// The shape every command that talks to the services shares: the connection flags, --json,
// --progress, --timeout, help text, and one place turning failures into messages and exit
// codes. A command declares its own options and writes its `run`.

import { parseArgs } from 'node:util';
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import type { DescService } from '@bufbuild/protobuf';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { EXIT, type CliIO, type Command } from '../command.js';
import { progressFor, type Progress } from '../output/progress.js';
import { parseDurationSeconds } from '../output/values.js';
import { API_KEY_VARIABLE, DEFAULT_PORTS, readCredential, serviceUrl, SERVICES, TENANT_VARIABLE, URL_VARIABLE, urlFlag, urlVariable, type ServiceName } from './connection.js';
import { describeFailure, type CallTarget, type Failure } from './failure.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Shown in help: `--user <id>`. */
  placeholder?: string;
  help: string;
}

export type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface ServerContext {
  readonly io: CliIO;
  readonly json: boolean;
  readonly values: Values;
  readonly args: readonly string[];
  /** --tenant, AEGIS_TENANT, else the tenant of the API key (asked of auth once). */
  tenant(): Promise<string>;
  /** --tenant or AEGIS_TENANT, else "": for RPCs whose empty tenant_id means the caller's own. */
  tenantOrOwn(): string;
  /** Aborted on Ctrl-C while a streaming command runs (see ServerCommandSpec.streams). */
  readonly signal: AbortSignal;
  client<S extends DescService>(service: S): Client<S>;
  /** The JSON document on stdout with --json, else the human text. */
  print(json: unknown, human: () => string): void;
  progress: Progress;
  /** A string option (first value if repeated), or undefined. */
  string(name: string): string | undefined;
  strings(name: string): string[];
  flag(name: string): boolean;
}

/** Invalid input found by a command itself: exit 2 with the message and the usage line. */
export class UsageError extends Error {}

export interface ServerCommandSpec {
  group: string;
  name: string;
  summary: string;
  /** After `aegis <group> <name>`, e.g. `[options] <key-id>`. */
  usage: string;
  description: string;
  /** The services this command calls (their URL flags are listed in its help). */
  services: readonly ServiceName[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes. */
  positionals?: { min: number; max: number };
  examples?: readonly string[];
  /**
   * A command that streams until stopped (`audit tail`): its calls have no deadline (so no
   * --timeout), Ctrl-C aborts `ctx.signal` and ends it with exit 0, and with --json stdout
   * carries only the stream's lines, so a capture stays valid JSON lines (errors go to stderr).
   */
  streams?: boolean;
  /**
   * The command's RPCs take an empty tenant_id as the caller's own tenant, so it uses
   * ctx.tenantOrOwn() and never asks auth (auth's URL is then not among its flags).
   */
  tenantOptional?: boolean;
  run(ctx: ServerContext): Promise<number>;
}

const DEFAULT_TIMEOUT_SECONDS = 30n;

const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  tenant: { type: 'string' },
  url: { type: 'string' },
  'api-key-file': { type: 'string' },
  timeout: { type: 'string' },
  ...Object.fromEntries(SERVICES.map((s) => [urlFlag(s), { type: 'string' }])),
} as const;

function commonOptions(spec: ServerCommandSpec): Record<string, { type: 'string' | 'boolean' }> {
  if (spec.streams !== true) return COMMON_OPTIONS;
  const { timeout: _none, ...rest } = COMMON_OPTIONS;
  return rest;
}

// The RPC services whose proto package does not name the Aegis service that serves them.
const SERVED_BY: Readonly<Record<string, ServiceName>> = { 'aegis.events.v1.AuditLogService': 'audit' };

export function serverCommand(spec: ServerCommandSpec): Command {
  const help = helpText(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    async run(args, io) {
      // A stream's --json output is JSON lines: an error document there would corrupt the capture.
      const json = args.includes('--json') && spec.streams !== true;
      let target: CallTarget | undefined;
      const abort = new AbortController();
      const stop = () => abort.abort();
      if (spec.streams === true) process.once('SIGINT', stop);
      try {
        const ctx = await contextFor(spec, args, io, (t) => (target = t), abort.signal);
        return await spec.run(ctx);
      } catch (err) {
        if (err instanceof UsageError) {
          return report(io, json, { exitCode: EXIT.invalidInput, code: 'usage', message: err.message, violations: [] }, `${spec.group} ${spec.name}`, usageLine(spec));
        }
        if (abort.signal.aborted) return EXIT.ok;
        return report(io, json, describeFailure(err, target), `${spec.group} ${spec.name}`);
      } finally {
        if (spec.streams === true) process.removeListener('SIGINT', stop);
        abort.abort();
      }
    },
  };
}

function report(io: CliIO, json: boolean, failure: Failure, command: string, usage?: string): number {
  const violations = failure.violations.map((v) => `\n  ${v.field === '' ? '' : `${v.field}: `}${v.description}`).join('');
  io.stderr.write(`aegis ${command}: ${failure.message}${violations}\n${usage === undefined ? '' : `\n${usage}\nRun \`aegis ${command} --help\` for the options.\n`}`);
  if (json) io.stdout.write(`${JSON.stringify({ error: { code: failure.code, message: failure.message, violations: failure.violations } }, null, 2)}\n`);
  return failure.exitCode;
}

async function contextFor(spec: ServerCommandSpec, args: readonly string[], io: CliIO, onCall: (t: CallTarget) => void, signal: AbortSignal): Promise<ServerContext> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: { ...commonOptions(spec), ...Object.fromEntries(Object.entries(spec.options ?? {}).map(([k, o]) => [k, { type: o.type, multiple: o.multiple ?? false }])) },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument[\s\S]*$/, ''));
  }
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (positionals.length < min) throw new UsageError(`missing argument: ${spec.usage}`);
  if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}"`);
  const timeoutText = spec.streams === true ? undefined : values['timeout'] as string | undefined;
  const timeoutSeconds = timeoutText === undefined ? DEFAULT_TIMEOUT_SECONDS : parseDurationSeconds(timeoutText);
  if (timeoutSeconds === undefined || timeoutSeconds === 0n) throw new UsageError('--timeout must be a duration such as 10s or 2m');
  // Every URL is checked before any call, so a typo is invalid input rather than a half-done run.
  const urlOf = (service: ServiceName): string => {
    const resolved = serviceUrl(service, values, io.env);
    if ('problem' in resolved) throw new UsageError(resolved.problem);
    return resolved.url;
  };
  servicesOf(spec).forEach(urlOf);
  const credential = await readCredential(values['api-key-file'] as string | undefined, io.env);
  if ('problem' in credential) throw new UsageError(credential.problem);

  const transports = new Map<ServiceName, Transport>();
  const transportFor = (service: ServiceName): Transport => {
    let transport = transports.get(service);
    if (transport === undefined) {
      const baseUrl = urlOf(service);
      const authorize: Interceptor = (next) => (req) => {
        onCall({ service, url: baseUrl });
        req.header.set('authorization', `Bearer ${credential.key}`);
        return next(req);
      };
      transport = createConnectTransport({
        baseUrl, httpVersion: '1.1', interceptors: [authorize],
        ...(spec.streams === true ? {} : { defaultTimeoutMs: Number(timeoutSeconds) * 1000 }),
      });
      transports.set(service, transport);
    }
    return transport;
  };
  const client = <S extends DescService>(service: S): Client<S> => createClient(service, transportFor(serviceOf(service)));

  let tenant: Promise<string> | undefined;
  const string = (name: string): string | undefined => {
    const v = values[name];
    return Array.isArray(v) ? v[0] : typeof v === 'string' ? v : undefined;
  };
  const json = values['json'] === true;
  return {
    io,
    json,
    values,
    args: positionals,
    tenant: () => (tenant ??= resolveTenant(string('tenant') ?? io.env[TENANT_VARIABLE], client(ApiKeyService), credential.key)),
    tenantOrOwn: () => (string('tenant') ?? io.env[TENANT_VARIABLE] ?? '').trim(),
    signal,
    client,
    print(document, human) {
      io.stdout.write(json ? `${JSON.stringify(document, null, 2)}\n` : human());
    },
    progress: progressFor(io, values['progress'] === true),
    string,
    strings: (name) => {
      const v = values[name];
      return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    },
    flag: (name) => values[name] === true,
  };
}

/** `aegis.billing.v1.BudgetService` -> billing; `aegis.events.v1.AuditLogService` -> audit. */
export function serviceOf(service: Pick<DescService, 'typeName'>): ServiceName {
  const name = SERVED_BY[service.typeName] ?? service.typeName.split('.')[1] as ServiceName;
  if (!SERVICES.includes(name)) throw new Error(`no Aegis service serves ${service.typeName}`);
  return name;
}

async function resolveTenant(given: string | undefined, apiKeys: Client<typeof ApiKeyService>, key: string): Promise<string> {
  const tenant = given?.trim();
  if (tenant !== undefined && tenant !== '') return tenant;
  const verified = await apiKeys.verifyApiKey({ key });
  if (verified.valid && verified.principal !== undefined) return verified.principal.tenantId;
  const reason = ApiKeyInvalidReason[verified.reason]?.toLowerCase() ?? 'invalid';
  throw new ConnectError(`the API key did not verify (${reason}); pass --tenant or set ${TENANT_VARIABLE} if the credential is not an API key`, Code.Unauthenticated);
}

/** The services a command may call: its own, and auth to find the API key's tenant. */
function servicesOf(spec: ServerCommandSpec): ServiceName[] {
  return [...new Set<ServiceName>(spec.tenantOptional === true ? spec.services : [...spec.services, 'auth'])];
}

function usageLine(spec: ServerCommandSpec): string {
  return `Usage: aegis ${spec.group} ${spec.name} ${spec.usage}`;
}

function helpText(spec: ServerCommandSpec): string {
  const row = (flag: string, text: string) => `  ${flag.padEnd(26)}${text}`;
  const own = Object.entries(spec.options ?? {}).map(([name, o]) =>
    row(`--${name}${o.type === 'string' ? ` <${o.placeholder ?? 'value'}>` : ''}`, `${o.help}${o.multiple ? ' (repeatable)' : ''}`));
  const services = servicesOf(spec);
  const connection = [
    row('--tenant <id>', `Tenant to act in (default: ${TENANT_VARIABLE}, else the ${spec.tenantOptional === true ? "credential's" : "API key's"} own tenant)`),
    ...services.map((s) => row(`--${urlFlag(s)} <url>`, `${s} service (default: ${urlVariable(s)}, else --url, else http://127.0.0.1:${DEFAULT_PORTS[s]})`)),
    row('--url <url>', `Base URL of every service (default: ${URL_VARIABLE}); without a port, each at its default port`),
    row('--api-key-file <file>', `Read the API key from this file (default: ${API_KEY_VARIABLE}); never printed`),
    ...(spec.streams === true ? [] : [row('--timeout <duration>', `Deadline of each call, e.g. 10s or 2m (default ${DEFAULT_TIMEOUT_SECONDS}s)`)]),
    row('--json', spec.streams === true ? 'Machine-readable output on stdout, one JSON document a line (errors on stderr only)' : 'Machine-readable output on stdout (errors too, as {"error": ...})'),
    row('--progress', 'Show progress on stderr even when it is not a terminal'),
    row('-h, --help', 'Show this help'),
  ];
  const examples = spec.examples === undefined || spec.examples.length === 0 ? '' : `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`;
  return `${usageLine(spec)}

${spec.description.trim()}
${own.length > 0 ? `\nOptions:\n${own.join('\n')}\n` : ''}
Connection and output:
${connection.join('\n')}
${examples}
Exit codes: 0 ok, 1 the command ran and its outcome is negative (a denial, a conflict),
            2 invalid input (arguments, files, or a request the server rejected),
            3 a service could not be used (unreachable, credential refused, permission denied).
`;
}
