// Hot reload across instances: two database objects on one database (two replicas of the
// policy service), each with its own SnapshotCache. A change through one must be in the
// other's cache within a second, reads during reloads must always see a complete
// snapshot, and a lost notification connection (Postgres) or notification must be caught up.

import { createLogger } from '@aegis/shared';
import type { SqlDatabase } from '@aegis/shared';
import type { TestDatabase } from '@aegis/shared/testing';
import { PostgresPolicyStore, SnapshotCache, type PolicySnapshot, type PolicyStore } from '../../../src/store/index.js';
import { analystRole, backends, piiPolicy, waitUntil } from './store-harness.js';

const logger = createLogger({ service: 'policy-store-test', level: 'error' });
// Long enough that only notifications (or onReconnect) can explain a reload within a test.
const NO_BACKSTOP_MS = 3_600_000;

interface Instance {
  db: SqlDatabase;
  store: PolicyStore;
  cache: SnapshotCache;
}

async function startInstance(db: SqlDatabase, recheckIntervalMs = NO_BACKSTOP_MS, store: PolicyStore = new PostgresPolicyStore(db)): Promise<Instance> {
  return { db, store, cache: await SnapshotCache.start({ store, db, logger, recheckIntervalMs }) };
}

describe.each(backends)('hot reload on $name', (backend) => {
  let primary: TestDatabase;
  let one: Instance;
  let two: Instance;

  beforeAll(async () => {
    primary = await backend.open();
    await new PostgresPolicyStore(primary).createRole('t-preexisting', analystRole('loaded_at_start'), { changedBy: 'seed' });
    one = await startInstance(primary);
    two = await startInstance(await primary.open('policy'));
  });
  afterAll(async () => {
    await one?.cache.close();
    await two?.cache.close();
    await primary?.close();
  });

  test('start-up loads every tenant; unknown tenants read as empty at version 0', () => {
    expect(two.cache.current('t-preexisting').roles.map((role) => role.name)).toEqual(['loaded_at_start']);
    expect(two.cache.current('t-unknown')).toMatchObject({ policyVersion: 0n, roles: [], policies: [] });
  });

  test('a change through one instance is in the other instance cache within 1 s, and onChange reports it', async () => {
    const changes: Array<[bigint, bigint]> = [];
    const stop = two.cache.onChange((snapshot, previous) => {
      if (snapshot.tenantId === 't-visible') changes.push([previous.policyVersion, snapshot.policyVersion]);
    });
    try {
      await one.store.createPolicy('t-visible', piiPolicy('finance_business_hours'), { changedBy: 'alice' });
      const elapsed = await waitUntil(() => two.cache.current('t-visible').policyVersion === 1n, 1_000, 'instance two to see the new policy');
      expect(elapsed).toBeLessThanOrEqual(1_000);
      expect(two.cache.current('t-visible').policies.map((policy) => policy.name)).toEqual(['finance_business_hours']);
      expect(changes).toEqual([[0n, 1n]]);

      // And the other way round, for an update.
      await two.store.updatePolicy('t-visible', piiPolicy('finance_business_hours', { enabled: false }), { changedBy: 'bob' });
      await waitUntil(() => one.cache.current('t-visible').policyVersion === 2n, 1_000, 'instance one to see the update');
      expect(one.cache.current('t-visible').policies[0]?.enabled).toBe(false);
      expect(one.cache.current('t-visible').policies[0]?.lastChange?.changedBy).toBe('bob');
    } finally {
      stop();
    }
  });

  test('reads during a stream of reloads always get a complete snapshot, never an older one', async () => {
    const tenant = 't-stream';
    const changes = 25;
    const early = two.cache.current(tenant);
    let reads = 0;
    let lastSeen = 0n;
    const versionsSeen = new Set<bigint>();
    const problems: string[] = [];
    let writing = true;
    // Each change creates one role, so a complete snapshot at version v has exactly v roles.
    const reader = (async () => {
      while (writing || two.cache.current(tenant).policyVersion < BigInt(changes)) {
        const snapshot: PolicySnapshot = two.cache.current(tenant);
        reads += 1;
        if (snapshot.roles.length !== Number(snapshot.policyVersion)) {
          problems.push(`version ${snapshot.policyVersion} with ${snapshot.roles.length} roles`);
        }
        if (snapshot.policyVersion < lastSeen) problems.push(`went back from ${lastSeen} to ${snapshot.policyVersion}`);
        lastSeen = snapshot.policyVersion;
        versionsSeen.add(snapshot.policyVersion);
        // PGlite runs its queries in microtasks, Postgres answers on I/O: yield the way that
        // lets the reloads make progress between two reads on each engine.
        if (backend.kind === 'postgres' || reads % 100_000 === 0) await new Promise((resolve) => setImmediate(resolve));
        else await Promise.resolve();
      }
    })();
    const deadline = Date.now() + 15_000;
    try {
      for (let i = 0; i < changes; i += 1) await one.store.createRole(tenant, analystRole(`stream_${i}`), { changedBy: `w${i}` });
    } finally {
      writing = false;
    }
    const racer = new Promise((_, reject) => setTimeout(() => reject(new Error('cache never reached the last version')), deadline - Date.now()).unref());
    await Promise.race([reader, racer]);
    expect(problems).toEqual([]);
    // The reads really were interleaved with the reloads, not all before or after them.
    expect(versionsSeen.size).toBeGreaterThan(3);
    expect(two.cache.current(tenant).roles).toHaveLength(changes);
    // A snapshot a decision already holds is never changed underneath it.
    expect(early.roles).toHaveLength(0);
  });

  test('a change that announced nothing is found by the periodic check', async () => {
    const watcher = await startInstance(await primary.open('policy'), 150);
    try {
      await one.store.createRole('t-silent', analystRole('before'), { changedBy: 'a' });
      await waitUntil(() => watcher.cache.current('t-silent').policyVersion === 1n, 1_000, 'the announced change');
      // Written behind the store's back: no NOTIFY, as if the notification had been lost.
      await primary.transaction(async (tx) => {
        await tx.query(`UPDATE tenant_policy_versions SET policy_version = policy_version + 1 WHERE tenant_id = 't-silent'`);
        await tx.query(`UPDATE roles SET content = jsonb_set(content, '{description}', '"edited"'), revision = 2 WHERE tenant_id = 't-silent'`);
      });
      await waitUntil(() => watcher.cache.current('t-silent').policyVersion === 2n, 2_000, 'the periodic check to reload');
      expect(watcher.cache.current('t-silent').roles[0]?.description).toBe('edited');
    } finally {
      await watcher.cache.close();
    }
  });

  test('a failing reload keeps the previous snapshot and a listener error does not stop the install', async () => {
    let failLoads = true;
    const real = new PostgresPolicyStore(primary);
    const flaky: PolicyStore = Object.assign(Object.create(real) as PolicyStore, {
      loadSnapshot: (tenantId: string) => (failLoads ? Promise.reject(new Error('database went away')) : real.loadSnapshot(tenantId)),
    });
    const watcher = await startInstance(await primary.open('policy'), 150, flaky);
    watcher.cache.onChange(() => {
      throw new Error('a broken subscriber');
    });
    try {
      const before = watcher.cache.current('t-visible');
      await one.store.createPolicy('t-visible', piiPolicy('another'), { changedBy: 'a' });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(watcher.cache.current('t-visible')).toBe(before);
      failLoads = false;
      await waitUntil(() => watcher.cache.current('t-visible').policies.length === 2, 2_000, 'the retry to load the new policy');
    } finally {
      await watcher.cache.close();
    }
  });
});

describe('hot reload on Postgres after the notification connection is killed', () => {
  let primary: TestDatabase;
  let one: Instance;
  let two: Instance;
  let versionChecks = 0;

  const listenerPids = async (): Promise<number[]> =>
    (
      await primary.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aegis-policy-listen' ORDER BY pid`,
      )
    ).rows.map((row) => row.pid);

  beforeAll(async () => {
    primary = await backends.find((b) => b.kind === 'postgres')!.open();
    one = await startInstance(primary);
    const db = await primary.open('policy');
    const real = new PostgresPolicyStore(db);
    // Counts the version checks: with the backstop an hour away, only onReconnect makes one.
    const counting: PolicyStore = Object.assign(Object.create(real) as PolicyStore, {
      policyVersions: () => {
        versionChecks += 1;
        return real.policyVersions();
      },
    });
    two = await startInstance(db, NO_BACKSTOP_MS, counting);
  });
  afterAll(async () => {
    await one?.cache.close();
    await two?.cache.close();
    await primary?.close();
  });

  test('the cache catches up with changes made while it was deaf, and hears later ones again', async () => {
    const before = await listenerPids();
    expect(before).toHaveLength(2);
    await primary.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1::int[])`, [before]);
    // Committed at once, while the listeners are gone or still reconnecting.
    await one.store.createRole('t-reconnect', analystRole('while_deaf'), { changedBy: 'a' });

    await waitUntil(() => two.cache.current('t-reconnect').policyVersion === 1n, 5_000, 'instance two to catch up after reconnecting');
    await waitUntil(() => versionChecks > 0, 5_000, 'the onReconnect version check');
    // Instance one reconnects on its own back-off schedule; wait for both listeners.
    let after = await listenerPids();
    for (const deadline = Date.now() + 5_000; after.length < 2 && Date.now() < deadline; after = await listenerPids()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(after).toHaveLength(2);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);

    await one.store.createRole('t-reconnect', analystRole('after_reconnect'), { changedBy: 'a' });
    const elapsed = await waitUntil(() => two.cache.current('t-reconnect').policyVersion === 2n, 1_000, 'a notification on the new connection');
    expect(elapsed).toBeLessThanOrEqual(1_000);
  });
});
