// Behaviour only a networked server has: connections that die, listeners that must come
// back by themselves, credentials that must never reach an error or a log line.
import { createDatabase, type SqlDatabase } from '../../../src/db/index.js';
import { createLogger, type Logger } from '../../../src/logging/index.js';
import { createTestDatabase, type TestDatabase } from '../../../src/testing/postgres.js';

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function collectingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ service: 'resilience', level: 'debug', destination: { write: (line: string) => lines.push(line) } }) };
}

describe('Postgres database resilience', () => {
  let db: TestDatabase;
  let admin: SqlDatabase;
  const { logger, lines } = collectingLogger();

  const terminate = async (applicationName: string): Promise<number> => {
    const { rowCount } = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`,
      [applicationName],
    );
    return rowCount;
  };

  beforeAll(async () => {
    db = await createTestDatabase({ schema: 'res_svc', logger });
    admin = await db.open('res_admin');
  });
  afterAll(() => db.close());

  it('re-establishes LISTEN after the server drops the connection, and says so', async () => {
    const received: string[] = [];
    let reconnects = 0;
    const stop = await db.listen('config_changed', (payload) => received.push(payload), { onReconnect: () => (reconnects += 1) });
    await db.notify('config_changed', 'before');
    await eventually(() => received.includes('before'), 'the first notification');

    expect(await terminate('aegis-res_svc-listen')).toBe(1);
    await eventually(() => reconnects === 1, 'onReconnect');
    await db.notify('config_changed', 'after');
    await eventually(() => received.includes('after'), 'a notification after reconnecting');

    expect(received).toEqual(['before', 'after']);
    expect(lines.some((line) => line.includes('postgres notification connection lost'))).toBe(true);
    await stop();
  });

  it('keeps existing subscribers when a new channel is subscribed while the connection is down', async () => {
    const received: string[] = [];
    const stopOld = await db.listen('old_channel', (payload) => received.push(`old:${payload}`));
    const lostBefore = lines.filter((line) => line.includes('postgres notification connection lost')).length;
    expect(await terminate('aegis-res_svc-listen')).toBe(1);
    await eventually(
      () => lines.filter((line) => line.includes('postgres notification connection lost')).length > lostBefore,
      'the loss to be noticed',
    );
    // Subscribing now (inside the reconnect back-off) must restore old_channel too.
    const stopNew = await db.listen('new_channel', (payload) => received.push(`new:${payload}`));
    await db.notify('old_channel', '1');
    await db.notify('new_channel', '2');
    await eventually(() => received.length === 2, 'both notifications');
    expect(received.sort()).toEqual(['new:2', 'old:1']);
    await Promise.all([stopOld(), stopNew()]);
  });

  it('logs, rather than throws, when idle pooled connections die, and keeps serving', async () => {
    // Two concurrent queries leave two idle connections in the pool.
    await Promise.all([db.query('SELECT pg_sleep(0.05)'), db.query('SELECT pg_sleep(0.05)')]);
    const poolErrors = (): number => lines.filter((line) => line.includes('idle postgres connection failed')).length;
    const before = poolErrors();
    const terminated = await terminate('aegis-res_svc');
    expect(terminated).toBeGreaterThanOrEqual(2);
    // Each dead idle connection is reported (and dropped by the pool) once its error arrives.
    await eventually(() => poolErrors() - before === terminated, 'a pool error log per terminated connection');
    await expect(db.query<{ ok: number }>('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
    await expect(db.ping()).resolves.toBeUndefined();
  });
});

describe('Postgres statement timeout', () => {
  it('cancels statements that run longer than statementTimeoutMs', async () => {
    const db = await createTestDatabase({ schema: 'slow_svc' });
    const impatient = await createDatabase({ url: db.url, schema: 'slow_svc', statementTimeoutMs: 100 });
    try {
      await expect(impatient.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' }); // query_canceled
      await expect(db.query('SELECT pg_sleep(0.2)')).resolves.toMatchObject({ rowCount: 1 }); // default is far longer
    } finally {
      await impatient.close();
      await db.close();
    }
  });
});

describe('Postgres credentials stay secret', () => {
  const secret = 'Sup3r-S3cret-pw';

  it('keeps the password out of connection errors and logs', async () => {
    const { logger, lines } = collectingLogger();
    const unreachable = await createDatabase({ url: `postgres://aegis:${secret}@127.0.0.1:1/nowhere`, schema: 'auth', logger });
    const failure = await unreachable.query('SELECT 1').then(
      () => undefined,
      (err: unknown) => err,
    );
    // Errors raised by node's net module come from another realm under jest: check the shape, not the class.
    expect(failure).toMatchObject({ code: 'ECONNREFUSED' });
    await expect(unreachable.ping()).rejects.toThrow();
    const listenFailure = await unreachable.listen('x', () => {}).catch((err: unknown) => err);
    expect(listenFailure).toMatchObject({ code: 'ECONNREFUSED' });
    await unreachable.close();

    for (const err of [failure, listenFailure] as Error[]) {
      expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain(secret);
    }
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('rejects malformed URLs without echoing them', async () => {
    for (const url of [`mysql://aegis:${secret}@db/auth`, `postgres://aegis:${secret}@db/auth?options=-c%20search_path%3Dother`, `not a url ${secret}`]) {
      const err = await createDatabase({ url, schema: 'auth' }).catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ name: 'DatabaseUsageError' });
      expect((err as Error).message).not.toContain(secret);
    }
  });
});

describe('createTestDatabase when Postgres is down', () => {
  const saved = process.env.DATABASE_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  });

  it('fails with a message naming Postgres and how to start it', async () => {
    process.env.DATABASE_URL = 'postgres://root:pw-not-shown@127.0.0.1:1/test';
    const err = (await createTestDatabase({ schema: 'x' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/Postgres is not reachable at postgres:\/\/root:\*\*\*@127\.0\.0\.1:1\/test/);
    expect(err.message).toContain('bash scripts/backends/up.sh');
    expect(err.message).not.toContain('pw-not-shown');
  });
});
