import { randomUUID } from 'node:crypto';
import type { BucketOwner, LeaseStore } from '../../../src/ports.js';
import { backends, sleep } from './store-backends.js';

// Leases do not batch: the unbatched bucket backend adds nothing here.
describe.each(backends.filter((b) => b.name !== 'Redis, unbatched'))('LeaseStore contract ($name)', (backend) => {
  let store: LeaseStore;
  let close: () => Promise<void>;
  const owner = (): BucketOwner => ({ tenantId: 'acme', key: `user-${randomUUID()}` });
  const request = (maxConcurrent: number, ttlMs = 60_000) => ({ leaseId: randomUUID(), holder: 'run_789', ttlMs, maxConcurrent });

  beforeAll(async () => {
    const opened = await backend.open();
    store = opened.leases;
    close = opened.close;
  });
  afterAll(() => close());

  it('grants up to max_concurrent slots, then refuses with a wait', async () => {
    const who = owner();
    const grants = [];
    for (let i = 0; i < 3; i++) grants.push(await store.acquire(who, request(2)));
    expect(grants.map((g) => g.acquired)).toEqual([true, true, false]);
    expect(grants.map((g) => g.activeCount)).toEqual([1, 2, 2]);
    expect(grants[0]!.expireAtMs).toBeGreaterThan(Date.now() + 55_000);
    expect(grants[2]!.retryAfterMs).toBeGreaterThan(55_000);
    expect(grants[2]!.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('frees a slot on release; releasing twice or an unknown lease answers false', async () => {
    const who = owner();
    const first = request(1);
    expect((await store.acquire(who, first)).acquired).toBe(true);
    expect((await store.acquire(who, request(1))).acquired).toBe(false);
    expect(await store.release(who, first.leaseId)).toBe(true);
    expect(await store.release(who, first.leaseId)).toBe(false);
    expect(await store.release(who, randomUUID())).toBe(false);
    expect((await store.acquire(who, request(1))).acquired).toBe(true);
  });

  it('expires a lease whose holder died, freeing its slot', async () => {
    const who = owner();
    const dead = request(1, 150);
    expect((await store.acquire(who, dead)).acquired).toBe(true);
    expect((await store.acquire(who, request(1))).acquired).toBe(false);
    await sleep(200);
    expect((await store.acquire(who, request(1))).acquired).toBe(true);
    expect(await store.release(who, dead.leaseId)).toBe(false);
    expect(await store.renew(who, dead.leaseId, 1000)).toBeUndefined();
  });

  it('renews a live lease past its first expiry', async () => {
    const who = owner();
    const held = request(1, 200);
    await store.acquire(who, held);
    await sleep(100);
    const renewed = await store.renew(who, held.leaseId, 400);
    expect(renewed?.holder).toBe('run_789');
    await sleep(200);
    expect((await store.acquire(who, request(1))).acquired).toBe(false);
    expect(await store.release(who, held.leaseId)).toBe(true);
  });

  it('never grants more than max_concurrent to concurrent callers', async () => {
    const who = owner();
    const grants = await Promise.all(Array.from({ length: 50 }, () => store.acquire(who, request(5))));
    expect(grants.filter((g) => g.acquired)).toHaveLength(5);
  });

  if (backend.name === 'Redis' || backend.name === 'Redis Cluster') {
    it('leaves no keys once every lease is released', async () => {
      const opened = await backend.open();
      try {
        const who = owner();
        const a = request(2);
        const b = request(2, 100);
        await opened.leases.acquire(who, a);
        await opened.leases.acquire(who, b);
        await opened.leases.release(who, a.leaseId);
        await sleep(150);
        await opened.leases.release(who, b.leaseId);
        expect(await opened.redis!.keys()).toEqual([]);
      } finally {
        await opened.close();
      }
    });
  }
});
