import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { closeRedis, createRedis, redisPing, type RedisClient } from '../redis/create-redis.js';
import { redactRedisUrl } from '../redis/redis-url.js';
import { createLogger, type Logger } from '../logging/index.js';

// Isolation unit: a key prefix per test file on the shared server. Redis databases 1-15
// are too few for parallel test files and do not exist on a cluster; a prefix scales and
// is exactly how tenants/services share one Redis in production.

const DEFAULT_URL = 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** Server URL, for code under test that builds its own clients (pass `keyPrefix` along). */
  readonly url: string;
  /** Unique to this TestRedis, e.g. `aegis_t:3f9c2a7b1e0d:`. */
  readonly keyPrefix: string;
  /** A client from the production factory with `keyPrefix` applied. */
  readonly client: RedisClient;
  /** Full (prefixed) names of the keys currently under the prefix. */
  keys(): Promise<string[]>;
  /** Deletes every key under the prefix, then closes the clients. */
  close(): Promise<void>;
}

export interface TestRedisOptions {
  /** Connection name suffix, to find this client in CLIENT LIST. */
  name?: string;
  logger?: Logger;
  /** Another server than REDIS_URL, e.g. a private Redis Cluster's `redis+cluster://` URL. */
  url?: string;
}

export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? DEFAULT_URL;
}

export async function createTestRedis(opts: TestRedisOptions = {}): Promise<TestRedis> {
  const url = opts.url ?? testRedisUrl();
  const logger = opts.logger ?? createLogger({ service: 'test-redis', level: 'warn' });
  // Unprefixed: SCAN patterns and the keys SCAN returns are not touched by ioredis'
  // keyPrefix, so cleanup through the prefixed client would double-prefix them.
  const admin = createRedis({ url, name: 'aegis-test-admin', logger });
  try {
    await redisPing(admin, 3_000);
  } catch (err) {
    await closeRedis(admin, 500);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Redis is not reachable at ${redactRedisUrl(url)} (${reason}). ` +
        'Integration tests need the local backends: run `bash scripts/backends/up.sh` (or set REDIS_URL).',
      { cause: err },
    );
  }
  const id = randomBytes(6).toString('hex');
  const keyPrefix = `aegis_t:${id}:`;
  const client = createRedis({ url, name: `aegis-test-${opts.name ?? id}`, logger, keyPrefix });

  const keys = async (): Promise<string[]> => {
    const nodes = admin instanceof Cluster ? admin.nodes('master') : [admin];
    const found: string[] = [];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
        found.push(...batch);
        cursor = next;
      } while (cursor !== '0');
    }
    return found;
  };

  let closing: Promise<void> | undefined;
  return {
    url,
    keyPrefix,
    client,
    keys,
    close() {
      closing ??= (async () => {
        try {
          // One key per UNLINK: on a cluster, keys of one batch may live on different nodes.
          await Promise.all((await keys()).map((key) => admin.unlink(key)));
        } finally {
          await Promise.all([closeRedis(client), closeRedis(admin)]);
        }
      })();
      return closing;
    },
  };
}
