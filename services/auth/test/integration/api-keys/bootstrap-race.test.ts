// Replicas starting together on an empty Postgres database: exactly one bootstraps. Real
// Postgres only; PGlite is single-process, so there is no race to have there.

import { externalBackend, startAuth, tempDataDir, type RunningAuth } from '../auth-harness.js';

describe('two auth instances starting at once on a fresh Postgres database', () => {
  const backend = externalBackend();
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let instances: RunningAuth[] = [];

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('exactly one creates the bootstrap key, and both verify it', async () => {
    // One host, one data directory: they also race to create the generated pepper, and must
    // end up sharing it (a multi-host deployment configures AEGIS_AUTH_API_KEY_PEPPER instead).
    const env = backend.env(dataDir.path);
    const started = await Promise.allSettled([startAuth(env), startAuth(env)]);
    instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failures = started.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    expect(failures.map((e) => e.message)).toEqual([]);

    const keys = instances.map((i) => i.bannerKey).filter((k): k is string => k !== undefined);
    expect(keys).toHaveLength(1);
    expect(instances.filter((i) => i.service.banner.length > 0)).toHaveLength(1);
    for (const instance of instances) {
      const res = await instance.client.verifyApiKey({ key: keys[0]! });
      expect(res.valid).toBe(true);
      expect(res.principal?.tenantId).toBe('default');
    }

    const db = await instances[0]!.openDatabase();
    const { rows } = await db.query<{ keys: string; tenants: string; users: string }>(
      'SELECT (SELECT count(*) FROM api_keys) AS keys, (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM users) AS users',
    );
    expect(rows[0]).toEqual({ keys: '1', tenants: '1', users: '1' });
  });
});
