import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { Redis } from 'ioredis';
import { http1 } from '../server/fixtures/http1.js';
import { startProbeServer } from '../server/fixtures/probe-server.js';

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = ServingStatus;

function watchStatuses(url: string, service: string, signal?: AbortSignal) {
  const client = createClient(Health, createGrpcTransport({ baseUrl: url }));
  const iterator = client.watch({ service }, signal ? { signal } : {})[Symbol.asyncIterator]();
  return {
    async next(): Promise<ServingStatus | 'ended'> {
      const result = await iterator.next();
      return result.done === true ? 'ended' : result.value.status;
    },
    /** Everything still to come, until the server ends the stream. */
    async rest(): Promise<ServingStatus[]> {
      const statuses: ServingStatus[] = [];
      for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) statuses.push(r.value.status);
      return statuses;
    },
  };
}

describe('grpc.health.v1.Health', () => {
  test('Watch follows start-up, a failing dependency, its recovery and draining; Check and /readyz agree', async () => {
    const probe = await startProbeServer({ ready: false });
    let queueUp = true;
    probe.health.addDependency('queue', async () => {
      if (!queueUp) throw new Error('queue unreachable');
    });
    const client = createClient(Health, createGrpcTransport({ baseUrl: probe.url }));
    const overall = watchStatuses(probe.url, '');
    const perService = watchStatuses(probe.url, 'aegis.test.v1.ProbeService');

    expect(await overall.next()).toBe(NOT_SERVING);
    expect(await perService.next()).toBe(NOT_SERVING);

    await probe.health.markReady();
    expect(await overall.next()).toBe(SERVING);
    expect(await perService.next()).toBe(SERVING);
    expect((await client.check({ service: 'aegis.test.v1.ProbeService' })).status).toBe(SERVING);

    queueUp = false; // noticed by the next poll (50 ms in tests)
    expect(await overall.next()).toBe(NOT_SERVING);
    expect((await client.check({})).status).toBe(NOT_SERVING);
    expect((await http1(`${probe.url}/readyz`)).status).toBe(503);
    expect(probe.logs.some((l) => l['msg'] === 'health: dependency failing' && l['dependency'] === 'queue')).toBe(true);

    queueUp = true;
    expect(await overall.next()).toBe(SERVING);
    expect((await http1(`${probe.url}/readyz`)).status).toBe(200);

    const stopped = probe.server.shutdown(1_000);
    expect(await overall.next()).toBe(NOT_SERVING);
    // Draining ends the watch, so it does not hold the server open for the grace period.
    expect(await overall.next()).toBe('ended');
    // Per-service watchers saw the same changes: failure, recovery, draining.
    expect(await perService.rest()).toEqual([NOT_SERVING, SERVING, NOT_SERVING]);
    await stopped;
  });

  test('a failing dependency registered with required: false is reported but keeps SERVING', async () => {
    const probe = await startProbeServer();
    try {
      probe.health.addDependency('cache', () => Promise.reject(new Error('cache down')), { required: false });
      await probe.health.refresh();
      const client = createClient(Health, createGrpcTransport({ baseUrl: probe.url }));
      expect((await client.check({})).status).toBe(SERVING);
      expect(probe.health.dependencies()).toEqual([{ name: 'cache', required: false, healthy: false }]);
      const metrics = await http1(`${probe.url}/metrics`);
      expect(metrics.body).toContain('health_dependency_up{dependency="cache",required="false"} 0');
    } finally {
      await probe.server.shutdown(1_000);
    }
  });

  test('List names every served service; unknown services are NOT_FOUND on Check and SERVICE_UNKNOWN on Watch', async () => {
    const probe = await startProbeServer();
    try {
      const client = createClient(Health, createGrpcTransport({ baseUrl: probe.url }));
      const { statuses } = await client.list({});
      expect(Object.keys(statuses).sort()).toEqual([
        '',
        'aegis.test.v1.ProbeService',
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
      ]);
      expect(Object.values(statuses).every((s) => s.status === SERVING)).toBe(true);

      const err = await client.check({ service: 'aegis.nope.v1.NopeService' }).then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(err?.code).toBe(Code.NotFound);

      const abort = new AbortController();
      const unknown = watchStatuses(probe.url, 'aegis.nope.v1.NopeService', abort.signal);
      expect(await unknown.next()).toBe(SERVICE_UNKNOWN);
      abort.abort();
    } finally {
      await probe.server.shutdown(1_000);
    }
  });

  test('a real Redis ping as dependency: NOT_SERVING while the connection is down, SERVING once back', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await redis.connect().catch((err: unknown) => {
      throw new Error(`Redis at 127.0.0.1:6379 is unreachable (start the backends): ${String(err)}`);
    });
    const probe = await startProbeServer({ ready: false });
    try {
      probe.health.addDependency('redis', async () => {
        await redis.ping();
      });
      await probe.health.markReady();
      expect(probe.health.status()).toBe(SERVING);

      const ended = new Promise((resolve) => redis.once('end', resolve));
      redis.disconnect();
      await ended;
      await probe.health.refresh();
      expect(probe.health.status()).toBe(NOT_SERVING);

      await redis.connect();
      await probe.health.refresh();
      expect(probe.health.status()).toBe(SERVING);
    } finally {
      await probe.server.shutdown(1_000);
      redis.disconnect();
    }
  });
});
