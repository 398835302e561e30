// The stores as their contract suites run them: on the real Redis (own key prefix per test
// file) and in memory. Both must give the same answers.

import { createTestRedis, type TestRedis } from '@aegis/shared/testing';
import { MemoryBucketStore } from '../../../src/adapters/memory/memory-bucket-store.js';
import { MemoryLeaseStore } from '../../../src/adapters/memory/memory-lease-store.js';
import { RedisBucketStore } from '../../../src/adapters/redis/redis-bucket-store.js';
import { RedisLeaseStore } from '../../../src/adapters/redis/redis-lease-store.js';
import { bucketParams, type LimitSpec } from '../../../src/domain/index.js';
import type { BucketLimit, BucketStore, LeaseStore } from '../../../src/ports.js';
import { openClusterStores } from './cluster-backend.js';

export interface StoreBackend {
  name: string;
  open(): Promise<{ buckets: BucketStore; leases: LeaseStore; redis?: TestRedis; close(): Promise<void> }>;
}

export const backends: StoreBackend[] = [
  {
    name: 'memory',
    async open() {
      return { buckets: new MemoryBucketStore(), leases: new MemoryLeaseStore(), close: async () => {} };
    },
  },
  {
    name: 'Redis',
    async open() {
      const redis = await createTestRedis({ name: 'ratelimit-stores' });
      return { buckets: new RedisBucketStore(redis.client), leases: new RedisLeaseStore(redis.client), redis, close: () => redis.close() };
    },
  },
  {
    // One script call per check, as against Redis Cluster.
    name: 'Redis, unbatched',
    async open() {
      const redis = await createTestRedis({ name: 'ratelimit-stores-unbatched' });
      return { buckets: new RedisBucketStore(redis.client, { batch: false }), leases: new RedisLeaseStore(redis.client), redis, close: () => redis.close() };
    },
  },
  {
    // A private 3-master cluster (cluster-backend.ts): every check its own call, routed by slot.
    name: 'Redis Cluster',
    open: () => openClusterStores('ratelimit-stores-cluster'),
  },
];

export function limit(name: string, quota: number, windowSeconds: number, burst = quota): BucketLimit {
  const spec: LimitSpec = { name, quota, windowSeconds, burst, failureMode: 'default' };
  return { name, params: bucketParams(spec) };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
