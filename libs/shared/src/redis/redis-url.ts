// Accepted forms (one string, so one REDIS_URL setting covers every deployment):
//   redis://[[user]:password@]host[:port][/db]        a single server (or a managed primary endpoint)
//   rediss://...                                       the same over TLS
//   redis+cluster://[[user]:password@]host1[:port],host2[:port],...   Redis Cluster seed nodes
//   rediss+cluster://...                               Redis Cluster over TLS
// Credentials may be percent-encoded; IPv6 hosts go in brackets ([::1]:6379).

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisTarget {
  mode: 'single' | 'cluster';
  tls: boolean;
  /** One node for `single`; the seed nodes for `cluster`. */
  nodes: RedisNode[];
  username?: string;
  password?: string;
  /** Logical database; always 0 on a cluster. */
  db: number;
}

export class RedisUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUrlError';
  }
}

const SCHEMES: Record<string, Pick<RedisTarget, 'mode' | 'tls'>> = {
  'redis:': { mode: 'single', tls: false },
  'rediss:': { mode: 'single', tls: true },
  'redis+cluster:': { mode: 'cluster', tls: false },
  'rediss+cluster:': { mode: 'cluster', tls: true },
};

const DEFAULT_PORT = 6379;

/** Parses a Redis URL by hand: the WHATWG parser rejects multi-host cluster URLs. Errors show the URL with its password masked. */
export function parseRedisUrl(url: string): RedisTarget {
  const fail = (why: string): never => {
    throw new RedisUrlError(`invalid redis url ${redactRedisUrl(url)}: ${why}`);
  };
  const schemeEnd = url.indexOf('//');
  const scheme = SCHEMES[url.slice(0, schemeEnd)];
  if (schemeEnd < 0 || !scheme) return fail('expected redis://, rediss://, redis+cluster:// or rediss+cluster://');

  let rest = url.slice(schemeEnd + 2);
  // The last "@" ends the credentials, so an unencoded "@", "/" or "?" inside a password still parses.
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : undefined;
  rest = rest.slice(at + 1);
  if (/[?#]/.test(rest)) fail('query parameters are not supported; credentials go before the host, the db number in the path');

  const slash = rest.indexOf('/');
  const hostList = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : '';
  const nodes = hostList.split(',').map((entry) => parseNode(entry, fail));
  if (scheme.mode === 'single' && nodes.length !== 1) fail('several hosts need redis+cluster://');

  const db = path === '' ? 0 : Number(path);
  if (!/^\d{0,2}$/.test(path) || !Number.isInteger(db)) fail('the path must be a database number');
  if (scheme.mode === 'cluster' && db !== 0) fail('Redis Cluster only has database 0');

  const target: RedisTarget = { ...scheme, nodes, db };
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    const username = decode(colon >= 0 ? credentials.slice(0, colon) : credentials, fail);
    const password = colon >= 0 ? decode(credentials.slice(colon + 1), fail) : undefined;
    // "redis://secret@host" is the legacy password-only form (as redis-cli reads it).
    if (password === undefined) {
      if (username !== '') target.password = username;
    } else {
      if (username !== '') target.username = username;
      target.password = password;
    }
  }
  return target;
}

function parseNode(entry: string, fail: (why: string) => never): RedisNode {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(entry);
  if (!match) return fail(`"${entry}" is not host[:port]`);
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65_535) fail(`port ${port} is out of range`);
  return { host: (match[1] ?? match[2]) as string, port };
}

function decode(value: string, fail: (why: string) => never): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return fail('credentials contain a malformed %-escape');
  }
}

/**
 * The URL with everything secret masked, for logs and errors: `redis://app:pw@h:6379`
 * becomes `redis://app:***@h:6379`. Unlike a generic URL redactor it also masks the
 * password-only form `redis://pw@h`, where the secret sits in the user-name position.
 */
export function redactRedisUrl(url: string): string {
  const start = url.indexOf('//');
  const at = url.lastIndexOf('@');
  if (start < 0 || at < start) return url;
  const credentials = url.slice(start + 2, at);
  const colon = credentials.indexOf(':');
  const user = colon >= 0 ? credentials.slice(0, colon) : '';
  return `${url.slice(0, start + 2)}${user}:***@${url.slice(at + 1)}`;
}
