// The session store on real Postgres and on PGlite: the concurrent-session limit holds when
// logins of one user race (the per-user lock), and revocation is idempotent.

import { fileURLToPath } from 'node:url';
import { uuidv7 } from 'uuidv7';
import { migrate, type SqlDatabase } from '@aegis/shared';
import { createTestDatabase, createTestPglite, type TestDatabase } from '@aegis/shared/testing';
import { PostgresSessionStore } from '../../../src/sso/adapters/postgres/session-store.js';
import type { NewSession } from '../../../src/sso/ports.js';

const migrationsDir = fileURLToPath(new URL('../../../migrations', import.meta.url));

describe.each([
  ['Postgres', () => createTestDatabase({ schema: 'auth' })],
  ['PGlite', () => createTestPglite({ schema: 'auth' })],
] as const)('session store on %s', (_name, open) => {
  let db: TestDatabase;
  let store: PostgresSessionStore;

  beforeAll(async () => {
    db = await open();
    await migrate(db as SqlDatabase, { migrationsDir, schema: 'auth' });
    await db.query(`INSERT INTO tenants (id, display_name) VALUES ('t1', 'T1')`);
    await db.query(`INSERT INTO users (tenant_id, id, display_name) VALUES ('t1', 'u1', 'U1'), ('t1', 'u2', 'U2')`);
    store = new PostgresSessionStore(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  const session = (userId: string, createTime = new Date()): NewSession => ({
    tenantId: 't1', sessionId: uuidv7(), userId, providerId: 'p', amr: ['pwd'], ipAddress: '', userAgent: '',
    createTime, expireTime: new Date(createTime.getTime() + 3_600_000),
  });

  test('REFUSE_NEW: ten simultaneous logins of one user open exactly the allowed number', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => store.open(session('u1'), { maxConcurrentSessions: 3, limitAction: 'refuse_new' })));
    expect(results.filter((r) => r.opened)).toHaveLength(3);
    expect(await store.list('t1', { userId: 'u1', includeEnded: false, limit: 100 })).toHaveLength(3);
  });

  test('EVICT_OLDEST under a race still leaves at most the limit alive, the newest ones', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => store.open(session('u2'), { maxConcurrentSessions: 2, limitAction: 'evict_oldest' })));
    expect(results.every((r) => r.opened)).toBe(true);
    const live = await store.list('t1', { userId: 'u2', includeEnded: false, limit: 100 });
    expect(live).toHaveLength(2);
    const all = await store.list('t1', { userId: 'u2', includeEnded: true, limit: 100 });
    expect(all.slice(0, 2).map((s) => s.sessionId)).toEqual(live.map((s) => s.sessionId));
    expect(all.slice(2).every((s) => s.status === 'evicted' && s.endTime !== null)).toBe(true);
  });

  test('an expired session does not count, and cannot be revoked any more', async () => {
    const past = new Date(Date.now() - 2 * 3_600_000);
    const old = await store.open(session('u2', past), { maxConcurrentSessions: 0, limitAction: 'evict_oldest' });
    if (!old.opened) throw new Error('expected the session to open');
    const revoked = await store.revoke('t1', old.session.sessionId, new Date());
    expect(revoked).toMatchObject({ ended: false, session: { status: 'active' } });
  });

  test('revoke is idempotent: ended once, then reported as already ended', async () => {
    const opened = await store.open(session('u1'), { maxConcurrentSessions: 0, limitAction: 'evict_oldest' });
    if (!opened.opened) throw new Error('expected the session to open');
    const first = await store.revoke('t1', opened.session.sessionId, new Date());
    const second = await store.revoke('t1', opened.session.sessionId, new Date());
    expect(first?.ended).toBe(true);
    expect(second?.ended).toBe(false);
    expect(second?.session.endTime).toEqual(first?.session.endTime);
    expect(await store.revoke('t1', uuidv7(), new Date())).toBeUndefined();
  });
});
