import { z } from 'zod';

// Small zod builders for environment strings. Each one parses in a single transform so a
// bad value produces exactly one issue with a message that says what is expected (and
// never quotes the value, which may be a secret).

function fromString<T>(expected: string, parse: (raw: string) => T | undefined) {
  return z.string().transform((raw, ctx): T => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: expected });
      return z.NEVER;
    }
    return value;
  });
}

function parsePort(raw: string): number | undefined {
  if (!/^\d{1,5}$/.test(raw)) return undefined;
  const port = Number(raw);
  return port <= 65535 ? port : undefined;
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A bare number is milliseconds (the variable names end in _MS); units are a convenience. */
function parseDuration(raw: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(raw);
  if (!match) return undefined;
  const value = Number(match[1]) * (DURATION_UNIT_MS[match[2] ?? 'ms'] ?? 1);
  return Number.isSafeInteger(value) ? value : undefined;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

function parseBool(raw: string): boolean | undefined {
  const word = raw.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

function parseCommaList(raw: string): string[] | undefined {
  const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items.length > 0 ? items : undefined;
}

/**
 * Scheme check plus a non-empty host, done by hand because the WHATWG URL parser rejects
 * multi-host URLs (`postgres://u@h1:5432,h2:5432/db`, `redis+cluster://h1:7000,h2:7001`)
 * that the drivers accept.
 */
function isUrl(raw: string, protocols: readonly string[] | undefined): boolean {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\S+)$/.exec(raw);
  if (!match) return false;
  const [, scheme = '', rest = ''] = match;
  if (protocols && !protocols.includes(scheme.toLowerCase())) return false;
  const authority = rest.slice(rest.lastIndexOf('@') + 1).split(/[/?#]/)[0] ?? '';
  return authority !== '';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// host:port with a host name, IPv4 address or bracketed IPv6 address.
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):\d{1,5}$/;

const PORT_EXPECTED = 'must be a port number from 0 to 65535';

export const env = {
  port: (def: number) => fromString(PORT_EXPECTED, parsePort).default(def),
  /** For PORT itself, whose default each service supplies (see runtimeConfigFor). */
  optionalPort: () => fromString(PORT_EXPECTED, parsePort).optional(),
  /** `protocols` are scheme names without the colon: `['postgres', 'postgresql']`. */
  url: (opts: { protocols?: string[] } = {}) => {
    const protocols = opts.protocols?.map((p) => p.replace(/:$/, '').toLowerCase());
    const expected = protocols ? `must be a URL with scheme ${protocols.map((p) => `${p}://`).join(' or ')}` : 'must be a URL';
    return z.string().trim().refine((raw) => isUrl(raw, protocols), expected);
  },
  commaList: () => fromString('must be a comma-separated list with at least one entry', parseCommaList),
  /** A comma list where every entry is host:port (Kafka brokers, Redis cluster seeds). */
  hostPortList: () =>
    env.commaList().pipe(z.array(z.string().regex(HOST_PORT, 'each entry must be host:port'))),
  durationMs: (def: number) =>
    fromString('must be a duration: milliseconds, or a number with ms, s, m or h', parseDuration).default(def),
  bool: (def: boolean) => fromString('must be true or false (also 1/0, yes/no, on/off)', parseBool).default(def),
  logLevel: (def: LogLevel = 'info') =>
    fromString(`must be one of ${LOG_LEVELS.join(', ')}`, (raw): LogLevel | undefined =>
      LOG_LEVELS.find((level) => level === raw.toLowerCase()),
    ).default(def),
};
