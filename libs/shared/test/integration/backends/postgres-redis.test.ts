// Proves PostgreSQL and Redis are there the way scripts/backends/up.sh promises:
// PostgreSQL on 127.0.0.1:5432 with trust login to database `test`, Redis on 127.0.0.1:6379.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

const suffix = randomUUID().replaceAll('-', '').slice(0, 12);

function unreachable(backend: string, where: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${backend} is not reachable on ${where}; run \`bash scripts/backends/up.sh\` first (${reason})`);
}

describe('PostgreSQL on 127.0.0.1:5432', () => {
  const schema = `backends_check_${suffix}`;
  let client: pg.Client | undefined;

  beforeAll(async () => {
    const candidate = new pg.Client({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      database: 'test',
      connectionTimeoutMillis: 5000,
    });
    try {
      await candidate.connect();
    } catch (cause) {
      throw unreachable('PostgreSQL', '127.0.0.1:5432 (user postgres, database test)', cause);
    }
    client = candidate;
    await client.query(`create schema ${schema}`);
  });

  afterAll(async () => {
    if (!client) return;
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  test('answers a query in database test', async () => {
    const result = await client!.query<{ db: string; sum: number }>('select current_database() as db, 1 + 1 as sum');
    expect(result.rows).toEqual([{ db: 'test', sum: 2 }]);
  });

  test('keeps what is written, within this file\'s own schema', async () => {
    await client!.query(`create table ${schema}.probe (id int primary key, note text not null)`);
    await client!.query(`insert into ${schema}.probe values ($1, $2), ($3, $4)`, [1, 'first', 2, 'second']);
    const result = await client!.query<{ id: number; note: string }>(`select id, note from ${schema}.probe order by id`);
    expect(result.rows).toEqual([{ id: 1, note: 'first' }, { id: 2, note: 'second' }]);
  });
});

describe('Redis on 127.0.0.1:6379', () => {
  const prefix = `aegis:test:backends:${suffix}:`;
  let redis: Redis | undefined;

  beforeAll(async () => {
    // No reconnect loop: a missing Redis must fail this file at once, not hang it.
    const candidate = new Redis({
      host: '127.0.0.1',
      port: 6379,
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // connect() rejects with a bare "Connection is closed"; the error event says why.
    let socketError: unknown;
    candidate.on('error', (error) => {
      socketError = error;
    });
    try {
      await candidate.connect();
    } catch (cause) {
      candidate.disconnect();
      throw unreachable('Redis', '127.0.0.1:6379', socketError ?? cause);
    }
    redis = candidate;
  });

  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('answers PING', async () => {
    await expect(redis!.ping()).resolves.toBe('PONG');
  });

  test('returns what SET stored, and nothing for a key never set', async () => {
    const value = randomUUID();
    await expect(redis!.set(`${prefix}greeting`, value, 'PX', 60_000)).resolves.toBe('OK');
    await expect(redis!.get(`${prefix}greeting`)).resolves.toBe(value);
    await expect(redis!.get(`${prefix}never-set`)).resolves.toBeNull();
    const ttl = await redis!.pttl(`${prefix}greeting`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
