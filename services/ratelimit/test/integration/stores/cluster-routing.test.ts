import { randomUUID } from 'node:crypto';
import { closeRedis, createLogger, createRedis, type RedisClient } from '@aegis/shared';
import { readBucket } from '../../../src/domain/index.js';
import type { BucketOwner } from '../../../src/ports.js';
import { openClusterStores, type ClusterStores } from './cluster-backend.js';
import { limit } from './store-backends.js';

// What makes the stores work on Redis Cluster, asserted on a private three-master cluster:
// every key one check (and the owner's leases) touches hashes to one slot, and checks of
// many owners really are routed to all three masters, each as its own script call (the
// store batches concurrent checks only on a single Redis). The contract suites run on the
// same kind of cluster as one more backend (store-backends.ts).

const tier = [limit('requests_per_minute', 10, 60), limit('requests_per_hour', 100, 3_600), limit('requests_per_day', 1_000, 86_400)];

describe('ratelimit stores on Redis Cluster', () => {
  let stores: ClusterStores;
  /** One plain connection per master, by port: node-local commands (SCAN, INFO, CONFIG). */
  const masters = new Map<number, RedisClient>();

  beforeAll(async () => {
    stores = await openClusterStores('ratelimit-cluster-routing');
    const logger = createLogger({ service: 'cluster-routing-test', level: 'warn' });
    for (const port of stores.cluster.ports) masters.set(port, createRedis({ url: `redis://127.0.0.1:${port}`, name: 'cluster-routing-node', logger }));
  });
  afterAll(async () => {
    await Promise.all([...masters.values()].map((client) => closeRedis(client)));
    await stores.close();
  });

  const anyMaster = (): RedisClient => masters.values().next().value!;
  const keySlot = async (key: string): Promise<number> => Number(await anyMaster().call('CLUSTER', 'KEYSLOT', key));

  /** The port of the master serving `slot`, from CLUSTER SLOTS. */
  async function masterOf(slot: number): Promise<number> {
    const ranges = (await anyMaster().call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
    const range = ranges.find(([start, end]) => slot >= start && slot <= end);
    if (range === undefined) throw new Error(`no master serves slot ${slot}`);
    return Number(range[2][1]);
  }

  /** Keys under this test's prefix, per master (SCAN on each node). */
  async function keysByMaster(): Promise<Map<number, string[]>> {
    const found = new Map<number, string[]>();
    for (const [port, client] of masters) {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${stores.redis.keyPrefix}*`, 'COUNT', 500);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      found.set(port, keys);
    }
    return found;
  }

  /** `cmdstat_<command>` calls on one master since its last CONFIG RESETSTAT. */
  async function calls(port: number, command: string): Promise<number> {
    const info = await masters.get(port)!.info('commandstats');
    const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : 0;
  }

  it.each([
    ['a plain key', `user-${randomUUID()}`],
    ['a key with braces', `a}b{c-${randomUUID()}`],
  ])('keeps every key of a three-window check and of its leases in one slot (%s)', async (_label, key) => {
    const who: BucketOwner = { tenantId: `t-${randomUUID()}`, key };
    expect((await stores.buckets.apply('consume', who, tier, 1)).allowed).toBe(true);
    expect((await stores.leases.acquire(who, { leaseId: randomUUID(), holder: 'run_1', ttlMs: 60_000, maxConcurrent: 2 })).acquired).toBe(true);

    const keys = await stores.redis.keys();
    // One hash for the three windows, two for the leases.
    expect(keys).toHaveLength(3);
    const slots = new Set(await Promise.all(keys.map(keySlot)));
    expect(slots.size).toBe(1);
    const [slot] = [...slots];
    expect(slot).toBe(await keySlot(`{${who.tenantId}:${who.key}}`));
    // And they all live on the master serving that slot, nowhere else.
    const home = await masterOf(slot!);
    for (const [port, onNode] of await keysByMaster()) expect(onNode.sort()).toEqual(port === home ? [...keys].sort() : []);
    const bucketKey = keys.find((k) => k.includes('rlb:'))!.slice(stores.redis.keyPrefix.length);
    expect((await stores.redis.client.hkeys(bucketKey)).sort()).toEqual([':exp', ...tier.map((l) => l.name)].sort());

    for (const k of keys) await stores.redis.client.unlink(k.slice(stores.redis.keyPrefix.length));
  });

  it('routes concurrent checks of many owners to all three masters, one script call per check', async () => {
    const tenantId = `t-${randomUUID()}`;
    const owners: BucketOwner[] = Array.from({ length: 60 }, (_, i) => ({ tenantId, key: `user-${i}` }));
    const perDay = limit('per_day', 3, 86_400);
    const limits = [perDay, ...tier];
    // One check each first: loads the script on every master (NOSCRIPT falls back to EVAL).
    for (const who of owners) expect((await stores.buckets.apply('consume', who, limits, 1)).allowed).toBe(true);
    const expected = new Map<number, number>([...masters.keys()].map((port) => [port, 0]));
    for (const who of owners) {
      const port = await masterOf(await keySlot(`{${who.tenantId}:${who.key}}`));
      expected.set(port, expected.get(port)! + 3);
    }
    // The owners spread over every master, or this test would not exercise routing.
    for (const count of expected.values()) expect(count).toBeGreaterThan(0);
    await Promise.all([...masters.values()].map((client) => client.config('RESETSTAT')));

    // Three checks per owner, all issued in one turn of the event loop.
    const answers = await Promise.all(owners.flatMap((who) => [0, 1, 2].map(() => stores.buckets.apply('consume', who, limits, 1))));

    // Exactly one EVALSHA per check, each on its owner's master: nothing batched, nothing misrouted.
    for (const [port, count] of expected) {
      expect(await calls(port, 'evalsha')).toBe(count);
      expect(await calls(port, 'eval')).toBe(0);
    }
    // Per owner: 1 token left of 3 after the first check, so two of three admitted, every
    // answer reporting all four windows.
    for (let o = 0; o < owners.length; o++) {
      const mine = answers.slice(3 * o, 3 * o + 3);
      expect(mine.filter((a) => a.allowed)).toHaveLength(2);
      expect(mine.every((a) => a.used.length === 4)).toBe(true);
    }
    const left = await stores.buckets.apply('peek', owners[0]!, [perDay], 1);
    expect(readBucket(left.used[0]!, perDay.params, 1).remaining).toBe(0);
  });
});
