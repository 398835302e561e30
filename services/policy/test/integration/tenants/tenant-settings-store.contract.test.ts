// tenant_settings on both engines: a newer version is stored together with a policy version
// bump and its notification, so another instance's SnapshotCache reloads the tenant with the
// new business hours; an older or equal version changes nothing.

import { createLogger } from '@aegis/shared';
import type { TestDatabase } from '@aegis/shared/testing';
import { PostgresPolicyStore, SnapshotCache } from '../../../src/store/index.js';
import { PostgresTenantSettingsStore, type TenantSettings } from '../../../src/tenants/index.js';
import { analystRole, backends, waitUntil } from '../store/store-harness.js';

const logger = createLogger({ service: 'tenant-settings-store-test', level: 'error' });

function settings(tenantId: string, version: bigint, timeZone: string, weekdays = [1, 2, 3, 4, 5]): TenantSettings {
  return { tenantId, version, businessHours: { timeZone, weekdays, startMinute: 480, endMinute: 1080 } };
}

describe.each(backends)('tenant settings store on $name', (backend) => {
  let db: TestDatabase;
  let writer: PostgresTenantSettingsStore;
  let store: PostgresPolicyStore;
  let cache: SnapshotCache;

  beforeAll(async () => {
    db = await backend.open();
    writer = new PostgresTenantSettingsStore(db);
    store = new PostgresPolicyStore(db);
    // A second instance's view: its own database object on the same database.
    const other = await db.open('policy');
    cache = await SnapshotCache.start({ store: new PostgresPolicyStore(other), db: other, logger, recheckIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await cache?.close();
    await db?.close();
  });

  test('a newer version is stored, bumps the policy version and reaches the other instance by notification', async () => {
    await store.createRole('t-hours', analystRole('analyst'), { changedBy: 'seed' });
    expect(await writer.apply(settings('t-hours', 3n, 'Pacific/Kiritimati', [1, 2, 3, 4, 5, 6, 7]))).toBe(true);
    expect(await writer.version('t-hours')).toBe(3n);

    const snapshot = await store.loadSnapshot('t-hours');
    expect(snapshot.policyVersion).toBe(2n);
    expect(snapshot.roles.map((role) => role.name)).toEqual(['analyst']);
    expect(snapshot.businessHours).toEqual({ timeZone: 'Pacific/Kiritimati', weekdays: [1, 2, 3, 4, 5, 6, 7], startMinute: 480, endMinute: 1080 });

    await waitUntil(() => cache.current('t-hours').policyVersion === 2n, 1_000, 'the other instance to reload the tenant');
    expect(cache.current('t-hours').businessHours?.timeZone).toBe('Pacific/Kiritimati');
  });

  test('an older or equal version is ignored: nothing stored, no version bump', async () => {
    expect(await writer.apply(settings('t-order', 5n, 'Europe/Berlin'))).toBe(true);
    const before = await store.loadSnapshot('t-order');
    expect(await writer.apply(settings('t-order', 4n, 'Asia/Tokyo'))).toBe(false);
    expect(await writer.apply(settings('t-order', 5n, 'Asia/Tokyo'))).toBe(false);
    const after = await store.loadSnapshot('t-order');
    expect(after.policyVersion).toBe(before.policyVersion);
    expect(after.businessHours?.timeZone).toBe('Europe/Berlin');
    expect(await writer.version('t-order')).toBe(5n);

    expect(await writer.apply(settings('t-order', 6n, 'Asia/Tokyo'))).toBe(true);
    const newer = await store.loadSnapshot('t-order');
    expect(newer.policyVersion).toBe(before.policyVersion + 1n);
    expect(newer.businessHours?.timeZone).toBe('Asia/Tokyo');
  });

  test('loadAllSnapshots carries each tenant its own hours; a tenant without settings has none', async () => {
    await store.createRole('t-no-settings', analystRole('analyst'), { changedBy: 'seed' });
    const all = new Map((await store.loadAllSnapshots()).map((s) => [s.tenantId, s]));
    expect(all.get('t-hours')?.businessHours?.timeZone).toBe('Pacific/Kiritimati');
    expect(all.get('t-order')?.businessHours?.timeZone).toBe('Asia/Tokyo');
    expect(all.get('t-no-settings')?.businessHours).toBeUndefined();
  });

  test('concurrent writers of one tenant end at the highest version, with one bump per applied write', async () => {
    const versions = [3n, 9n, 1n, 7n, 8n, 2n];
    const applied = await Promise.all(versions.map((v) => writer.apply(settings('t-race', v, `Etc/GMT-${Number(v)}`))));
    expect(await writer.version('t-race')).toBe(9n);
    const snapshot = await store.loadSnapshot('t-race');
    expect(snapshot.businessHours?.timeZone).toBe('Etc/GMT-9');
    expect(snapshot.policyVersion).toBe(BigInt(applied.filter(Boolean).length));
  });
});
