import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTrustedKeys, TOPICS, verifyAuditLog, type AuditRecord, type AuditVerifyReport, type TrustedKeys } from '@aegis/shared/audit-integrity';
import { EXIT, type CliIO, type Command } from '../../command.js';
import { readEventFile, readKafkaTopic } from './audit-input.js';
import { auditVerifyServer } from './verify-server.js';

// `aegis audit verify`: checks the audit hash chains and signed checkpoints
// (docs/events.md, "Tamper evidence").

export const PUBLIC_KEYS_VARIABLE = 'AEGIS_AUDIT_PUBLIC_KEYS';

const HELP = `Usage: aegis audit verify [options] (--brokers <list> | --file <path> | --server)

Verifies the audit stream's hash chains and Ed25519-signed checkpoints: reports
altered, missing (dropped or truncated), reordered, duplicated events, broken
links, and forged checkpoints. Events after a chain's last valid checkpoint are
reported as an unverified tail (a truncation there cannot be proven).

Input (one of):
  --brokers <list>     Kafka brokers host:port,... (default: KAFKA_BROKERS); reads
                       the topic up to its current end
  --topic <name>       Topic (default ${TOPICS.audit})
  --from-beginning     Start at the oldest retained event (the default)
  --since <time>       Start at this ISO 8601 time (chains may start mid-window)
  --until <time>       Ignore events appended after this ISO 8601 time
  --max-events <n>     Read at most n messages
  --file <path>        Events from a file: canonical JSON, one per line, or
                       size-delimited binary Events
  --server             Ask the audit sink to verify what it stored (its own options
                       and connection flags: see below)

Keys:
  --keys <file>        Trusted public keys: base64 SPKI DER (one per line) or PEM
                       (default: the ${PUBLIC_KEYS_VARIABLE} environment variable, comma-separated)

Output:
  --json               Print the report as JSON on stdout
  --require-signed     Also fail when any event is not covered by a valid checkpoint
  -h, --help           Show this help

Exit codes: 0 verified, 1 a violation was found (or an unsigned tail with
            --require-signed), 2 invalid input, 3 Kafka could not be read.

With --server:

${auditVerifyServer.help}`;

interface Options {
  file?: string;
  brokers?: string[];
  topic: string;
  sinceMs?: number;
  untilMs?: number;
  maxEvents?: number;
  keysFile?: string;
  json: boolean;
  requireSigned: boolean;
}

export const auditVerify: Command = {
  name: 'verify',
  summary: 'Verify audit hash chains and signed checkpoints',
  help: HELP,
  async run(args, io) {
    // The sink verifies with the keys it trusts: none of the local input or key options apply.
    if (args.includes('--server')) return auditVerifyServer.run(args, io);
    const opts = parseOptions(args, io);
    if (typeof opts === 'string') {
      io.stderr.write(`aegis audit verify: ${opts}\n\n${HELP}`);
      return EXIT.invalidInput;
    }
    let keys: TrustedKeys;
    try {
      keys = await loadKeys(opts, io);
    } catch (err) {
      io.stderr.write(`aegis audit verify: ${(err as Error).message}\n`);
      return EXIT.invalidInput;
    }
    let records: AuditRecord[];
    if (opts.file !== undefined) {
      try {
        records = await readEventFile(resolve(io.cwd, opts.file));
      } catch (err) {
        io.stderr.write(`aegis audit verify: cannot read ${opts.file}: ${(err as Error).message}\n`);
        return EXIT.invalidInput;
      }
    } else {
      try {
        records = await readKafkaTopic({
          brokers: opts.brokers!, topic: opts.topic, timeoutMs: 120_000,
          ...(opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {}),
          ...(opts.untilMs !== undefined ? { untilMs: opts.untilMs } : {}),
          ...(opts.maxEvents !== undefined ? { maxEvents: opts.maxEvents } : {}),
        });
      } catch (err) {
        io.stderr.write(`aegis audit verify: cannot read ${opts.topic} from ${opts.brokers!.join(',')}: ${(err as Error).message}\n`);
        return EXIT.unavailable;
      }
    }
    const report = verifyAuditLog(records, keys, { fromChainStart: opts.sinceMs === undefined });
    if (opts.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else writeReport(io, report);
    const failed = !report.ok || (opts.requireSigned && report.unverifiedTail > 0);
    return failed ? EXIT.failed : EXIT.ok;
  },
};

function parseOptions(args: readonly string[], io: CliIO): Options | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        file: { type: 'string' }, brokers: { type: 'string' }, topic: { type: 'string' },
        'from-beginning': { type: 'boolean', default: false }, since: { type: 'string' }, until: { type: 'string' },
        'max-events': { type: 'string' }, keys: { type: 'string' }, json: { type: 'boolean', default: false },
        'require-signed': { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    return (err as Error).message;
  }
  const time = (name: string, raw: string | undefined): number | string | undefined => {
    if (raw === undefined) return undefined;
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? `--${name} must be an ISO 8601 time, got "${raw}"` : ms;
  };
  const sinceMs = time('since', values.since);
  const untilMs = time('until', values.until);
  if (typeof sinceMs === 'string') return sinceMs;
  if (typeof untilMs === 'string') return untilMs;
  if (values['from-beginning'] && sinceMs !== undefined) return '--from-beginning and --since exclude each other';
  let maxEvents: number | undefined;
  if (values['max-events'] !== undefined) {
    maxEvents = Number(values['max-events']);
    if (!Number.isInteger(maxEvents) || maxEvents < 1) return `--max-events must be a positive integer, got "${values['max-events']}"`;
  }
  const brokersText = values.brokers ?? (values.file === undefined ? io.env['KAFKA_BROKERS'] : undefined);
  if (values.file !== undefined && values.brokers !== undefined) return '--file and --brokers exclude each other';
  if (values.file === undefined && (brokersText === undefined || brokersText.trim() === '')) return 'give --file, or --brokers (or KAFKA_BROKERS)';
  if (values.file !== undefined && (sinceMs !== undefined || untilMs !== undefined || maxEvents !== undefined)) return '--since, --until and --max-events apply to Kafka only';
  const brokers = brokersText?.split(',').map((b) => b.trim()).filter((b) => b !== '');
  return {
    topic: values.topic ?? TOPICS.audit,
    json: values.json ?? false,
    requireSigned: values['require-signed'] ?? false,
    ...(values.file !== undefined ? { file: values.file } : { brokers: brokers! }),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(untilMs !== undefined ? { untilMs } : {}),
    ...(maxEvents !== undefined ? { maxEvents } : {}),
    ...(values.keys !== undefined ? { keysFile: values.keys } : {}),
  };
}

async function loadKeys(opts: Options, io: CliIO): Promise<TrustedKeys> {
  const text = opts.keysFile !== undefined ? await readFile(resolve(io.cwd, opts.keysFile), 'utf8').catch((err: Error) => {
    throw new Error(`cannot read ${opts.keysFile}: ${err.message}`);
  }) : io.env[PUBLIC_KEYS_VARIABLE];
  if (text === undefined || text.trim() === '') throw new Error(`no trusted public keys: give --keys <file> or set ${PUBLIC_KEYS_VARIABLE} (producers log theirs at start-up)`);
  try {
    return parseTrustedKeys(text);
  } catch (err) {
    throw new Error(`${opts.keysFile ?? PUBLIC_KEYS_VARIABLE}: ${(err as Error).message}`);
  }
}

function writeReport(io: CliIO, report: AuditVerifyReport): void {
  io.stdout.write(`${report.events} audit events, ${report.checkpoints} checkpoints, ${report.chains.length} chains\n`);
  for (const chain of report.chains) {
    const tail = chain.unverifiedTail > 0 ? `, unverified tail ${chain.unverifiedTail} event(s) after the last valid checkpoint` : '';
    io.stdout.write(`  ${chain.issues.length === 0 ? 'ok  ' : 'FAIL'} ${chain.producerId} tenant ${chain.tenantId}: sequences ${chain.firstSequence}-${chain.lastSequence}, signed through ${chain.signedSequence}${tail}\n`);
  }
  for (const issue of report.issues) io.stdout.write(`${issue.kind}: ${issue.message}\n`);
  io.stdout.write(report.ok ? `verified${report.unverifiedTail > 0 ? ` (${report.unverifiedTail} event(s) in unverified tails)` : ''}\n` : `${report.issues.length} violation(s)\n`);
}
