import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createLogger, type Logger } from '../../../src/logging/index.js';
import { closeRedis, createRedis, redisPing, type RedisClient } from '../../../src/redis/index.js';
import { createTestRedis, testRedisUrl, type TestRedis } from '../../../src/testing/redis.js';

function collectingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ service: 'redis-test', level: 'debug', destination: { write: (line: string) => lines.push(line) } }) };
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Another URL for the local test server with credentials spliced in. */
function urlWithCredentials(credentials: string): string {
  return testRedisUrl().replace(/^(rediss?:\/\/)(?:[^@]*@)?/, `$1${credentials}@`);
}

describe('createRedis against the real server', () => {
  let redis: TestRedis;
  let admin: RedisClient;

  beforeAll(async () => {
    redis = await createTestRedis({ name: `client-${randomBytes(3).toString('hex')}` });
    admin = createRedis({ url: redis.url, name: 'redis-client-test-admin' });
  });
  afterAll(async () => {
    await redis.close();
    await closeRedis(admin);
  });

  it('connects, names its connection and answers health pings', async () => {
    await expect(redisPing(redis.client)).resolves.toBeUndefined();
    expect(redis.client).toBeInstanceOf(Redis);
    expect(await redis.client.client('GETNAME')).toMatch(/^aegis-test-client-/);
  });

  it('keeps each test file under its own key prefix and removes exactly those keys', async () => {
    const neighbour = await createTestRedis();
    await redis.client.set('session', 'mine');
    await neighbour.client.set('session', 'theirs');

    expect(await redis.client.get('session')).toBe('mine');
    expect(await neighbour.client.get('session')).toBe('theirs');
    expect(await admin.get(`${redis.keyPrefix}session`)).toBe('mine');
    expect(await neighbour.keys()).toEqual([`${neighbour.keyPrefix}session`]);

    await neighbour.close();
    expect(await admin.exists(`${neighbour.keyPrefix}session`)).toBe(0);
    expect(await admin.get(`${redis.keyPrefix}session`)).toBe('mine');
  });

  it('recovers by itself after the server kills its connection', async () => {
    let reconnects = 0;
    redis.client.on('reconnecting', () => (reconnects += 1));
    const before = Number(await redis.client.client('ID'));

    await admin.client('KILL', 'ID', String(before));
    // No manual reconnect: the next commands simply work once the factory's policy has reconnected.
    await expect(redis.client.set('after-kill', 'ok')).resolves.toBe('OK');
    await expect(redis.client.get('after-kill')).resolves.toBe('ok');
    const after = Number(await redis.client.client('ID'));

    expect(after).not.toBe(before);
    expect(reconnects).toBeGreaterThanOrEqual(1);
  });
});

describe('createRedis when things go wrong', () => {
  it('logs connection errors at warn, naming the client but never the password', async () => {
    const { logger, lines } = collectingLogger();
    // The user does not exist on the test server, so AUTH fails and ioredis reports an error.
    const wrongUser = createRedis({ url: urlWithCredentials('aegis_nobody:hunter2-pw'), name: 'auth-failure', logger });
    const refused = createRedis({ url: 'redis://:hunter2-pw@127.0.0.1:1', name: 'refused', logger });
    try {
      await eventually(() => lines.filter((line) => line.includes('"level":40')).length >= 2, 'two warnings');
    } finally {
      await Promise.all([closeRedis(wrongUser, 200), closeRedis(refused, 200)]);
    }
    const warnings = lines.filter((line) => line.includes('"level":40')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ redis: 'auth-failure', target: expect.stringContaining('aegis_nobody:***@') }),
        expect.objectContaining({ redis: 'refused', target: 'redis://:***@127.0.0.1:1', error: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
      ]),
    );
    expect(lines.join('\n')).not.toContain('hunter2-pw');
  });

  it('fails commands within bounded time while Redis is unreachable, instead of hanging', async () => {
    const client = createRedis({ url: 'redis://127.0.0.1:1', name: 'unreachable', logger: collectingLogger().logger });
    const started = Date.now();
    await expect(client.get('anything')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect(redisPing(client, 300)).rejects.toThrow();

    const closeStarted = Date.now();
    await closeRedis(client, 500);
    expect(Date.now() - closeStarted).toBeLessThan(1_500);
    // Closed means no more connection attempts (see closeRedis on why status may still read 'reconnecting').
    let attemptsAfterClose = 0;
    client.on('reconnecting', () => (attemptsAfterClose += 1));
    client.on('connect', () => (attemptsAfterClose += 1));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(attemptsAfterClose).toBe(0);
  });

  it('builds a cluster client from a redis+cluster:// URL', async () => {
    const client = createRedis({ url: 'redis+cluster://127.0.0.1:1,127.0.0.1:2', name: 'cluster', logger: collectingLogger().logger });
    expect(client).toBeInstanceOf(Cluster);
    await closeRedis(client, 200);
    let activityAfterClose = 0;
    for (const event of ['reconnecting', 'connect', 'node error']) client.on(event, () => (activityAfterClose += 1));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(activityAfterClose).toBe(0);
  });

  it('refuses connection names Redis would reject', () => {
    expect(() => createRedis({ url: 'redis://127.0.0.1', name: 'has space' })).toThrow(/name/);
  });
});

describe('createTestRedis when Redis is down', () => {
  const saved = process.env.REDIS_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
  });

  it('fails with a message naming Redis and how to start it', async () => {
    process.env.REDIS_URL = 'redis://:pw-not-shown@127.0.0.1:1';
    const err = (await createTestRedis().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^Redis is not reachable at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(err.message).toContain('bash scripts/backends/up.sh');
    expect(err.message).not.toContain('pw-not-shown');
  });
});
