import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { createLogger, type Logger } from '../logging/index.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

/** What services hold: a single-server client or a cluster client; both expose the same commands. */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** See redis-url.ts for the accepted forms (single server, TLS, cluster). */
  url: string;
  /** Connection name (CLIENT SETNAME) and log field: which component owns this connection. */
  name: string;
  logger?: Logger;
  /** Prepended to every key by the client (not to pub/sub channels, not to SCAN patterns). */
  keyPrefix?: string;
  /** Client-side limit per command, queued time included; default 2 s. Raise it for blocking commands. */
  commandTimeoutMs?: number;
}

// The project-wide connection policy, set here once:
// - Reconnect forever with capped exponential back-off plus jitter, so a fleet does not
//   reconnect in lock-step after a Redis restart.
// - enableOfflineQueue stays ON: commands issued while (re)connecting wait for the
//   connection instead of failing at once, so start-up and sub-second blips are invisible.
//   What bounds the wait is maxRetriesPerRequest (a queued command fails after that many
//   failed reconnect attempts) and commandTimeout (a hard per-command deadline). The
//   caller then gets an error quickly and applies its own fail-open/fail-closed rule
//   (the rate limiter does) rather than hanging a request.
export const REDIS_CONNECTION_POLICY = {
  connectTimeoutMs: 2_000,
  maxRetriesPerRequest: 2,
  commandTimeoutMs: 2_000,
  reconnectBaseMs: 100,
  reconnectCapMs: 3_000,
  disconnectTimeoutMs: 500,
} as const;

/** Delay before reconnect attempt `attempt` (1-based): 100, 200, 400 ... capped at 3 s, plus up to 10% jitter. */
export function redisReconnectDelay(attempt: number): number {
  const { reconnectBaseMs, reconnectCapMs } = REDIS_CONNECTION_POLICY;
  const base = Math.min(reconnectBaseMs * 2 ** Math.max(0, attempt - 1), reconnectCapMs);
  return Math.round(base + Math.random() * base * 0.1);
}

const CONNECTION_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The one way to get a Redis client. Connects immediately; never throws on connection
 * trouble — errors are logged at warn (password masked) and the client keeps
 * reconnecting by itself.
 */
export function createRedis(opts: RedisClientOptions): RedisClient {
  if (!CONNECTION_NAME.test(opts.name)) {
    throw new Error(`redis client name ${JSON.stringify(opts.name.slice(0, 70))} must be 1-64 characters of [A-Za-z0-9_.:-]`);
  }
  const target = parseRedisUrl(opts.url);
  const logger = opts.logger ?? createLogger({ service: 'aegis-redis', level: 'warn' });
  const policy = REDIS_CONNECTION_POLICY;
  const connection: RedisOptions = {
    connectionName: opts.name,
    connectTimeout: policy.connectTimeoutMs,
    maxRetriesPerRequest: policy.maxRetriesPerRequest,
    commandTimeout: opts.commandTimeoutMs ?? policy.commandTimeoutMs,
    username: target.username,
    password: target.password,
    tls: target.tls ? {} : undefined,
    // After a managed failover the old primary answers READONLY until DNS moves; reconnecting
    // (and resending the command) reaches the new primary instead of failing every write.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    // How long a closing socket may linger before it is destroyed (ioredis default 2 s);
    // shorter keeps shutdown, and test runs, from waiting on sockets that are already dead.
    disconnectTimeout: policy.disconnectTimeoutMs,
  };
  const client: RedisClient =
    target.mode === 'cluster'
      ? new Cluster(target.nodes, {
          clusterRetryStrategy: redisReconnectDelay,
          enableOfflineQueue: true,
          keyPrefix: opts.keyPrefix,
          redisOptions: connection,
        })
      : new Redis({
          ...connection,
          ...target.nodes[0],
          db: target.db,
          keyPrefix: opts.keyPrefix,
          enableOfflineQueue: true,
          retryStrategy: redisReconnectDelay,
        });
  reportConnectionTrouble(client, logger, opts.name, redactRedisUrl(opts.url), target.password);
  return client;
}

// One warn per distinct failure, then debug until the connection is back: an outage must
// be visible without a line every reconnect attempt for its whole duration.
function reportConnectionTrouble(client: RedisClient, logger: Logger, name: string, target: string, password: string | undefined): void {
  let lastFailure: string | undefined;
  const describe = (err: Error): { name: string; message: string; code?: string } => {
    // Redis echoes parts of failed commands in some replies; never let the password through.
    const message = password ? err.message.split(password).join('***') : err.message;
    const code = (err as NodeJS.ErrnoException).code;
    return code === undefined ? { name: err.name, message } : { name: err.name, message, code };
  };
  const failed = (err: Error, node?: string): void => {
    // `error`, not `err`: this is already a safe plain object, not for pino's error serializer.
    const fields = { redis: name, target, ...(node !== undefined ? { node } : {}), error: describe(err) };
    const key = `${node ?? ''}|${fields.error.message}`;
    if (key === lastFailure) logger.debug(fields, 'redis connection error (repeated)');
    else logger.warn(fields, 'redis connection error; retrying');
    lastFailure = key;
  };
  client.on('error', (err: Error) => failed(err));
  if (client instanceof Cluster) client.on('node error', (err: Error, node: string) => failed(err, node));
  client.on('ready', () => {
    if (lastFailure !== undefined) logger.info({ redis: name, target }, 'redis connection restored');
    lastFailure = undefined;
  });
}

/** Resolves when Redis answers PING within `timeoutMs`; rejects otherwise. For health checks. */
export async function redisPing(client: RedisClient, timeoutMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * QUIT (lets in-flight replies arrive), but never wait more than `timeoutMs` for it: on
 * shutdown a dead Redis must not hold the process. Then disconnect, which also cancels
 * any pending reconnect.
 *
 * ioredis quirk: a client closed while waiting between reconnect attempts stays in status
 * 'reconnecting' (it only reaches 'end' on a socket close event, and there is no socket).
 * It is inert all the same — no further attempts — and commands still queued on it fail
 * by their commandTimeout.
 */
export async function closeRedis(client: RedisClient, timeoutMs = 2_000): Promise<void> {
  // A function, not an inline comparison: status changes across the awaits below.
  const ended = (): boolean => client.status === 'end';
  if (ended()) return;
  const endEvent = new Promise<void>((resolve) => client.once('end', () => resolve()));
  await settleWithin(client.quit(), timeoutMs);
  if (ended()) return;
  client.disconnect();
  // A socket being torn down reports 'end' shortly; don't wait long for one that never will.
  await settleWithin(endEvent, Math.min(timeoutMs, 250));
}

/** Waits for `promise` to settle (either way) or for `ms` to pass, whichever is first. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(noop, noop), elapsed]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
