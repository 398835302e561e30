// The Redis stores on a private three-master Redis Cluster (libs/shared testing helper),
// reached through the project's Redis factory with a `redis+cluster://` URL. One cluster per
// test file, started by the first open() and stopped when the last opened store closes.

import { createTestRedis, startTestRedisCluster, type TestRedis, type TestRedisCluster } from '@aegis/shared/testing';
import { RedisBucketStore } from '../../../src/adapters/redis/redis-bucket-store.js';
import { RedisLeaseStore } from '../../../src/adapters/redis/redis-lease-store.js';
import type { BucketStore, LeaseStore } from '../../../src/ports.js';

let cluster: Promise<TestRedisCluster> | undefined;
let users = 0;

/** The file's cluster, started on first use; pair every call with releaseCluster(). */
export async function acquireCluster(): Promise<TestRedisCluster> {
  users++;
  cluster ??= startTestRedisCluster();
  try {
    return await cluster;
  } catch (err) {
    users--;
    cluster = undefined;
    throw err;
  }
}

export async function releaseCluster(): Promise<void> {
  if (--users > 0 || cluster === undefined) return;
  const stopping = cluster;
  cluster = undefined;
  await (await stopping).stop();
}

export interface ClusterStores {
  buckets: BucketStore;
  leases: LeaseStore;
  redis: TestRedis;
  cluster: TestRedisCluster;
  close(): Promise<void>;
}

/** Stores as the service builds them on a cluster URL (never batched: see RedisBucketStore). */
export async function openClusterStores(name: string): Promise<ClusterStores> {
  const running = await acquireCluster();
  let redis: TestRedis;
  try {
    redis = await createTestRedis({ name, url: running.url });
  } catch (err) {
    await releaseCluster();
    throw err;
  }
  return {
    buckets: new RedisBucketStore(redis.client),
    leases: new RedisLeaseStore(redis.client),
    redis,
    cluster: running,
    close: async () => {
      try {
        await redis.close();
      } finally {
        await releaseCluster();
      }
    },
  };
}
