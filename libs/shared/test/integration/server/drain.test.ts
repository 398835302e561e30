import { Agent } from 'node:http';
import { connect } from 'node:net';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ProbeService } from './fixtures/probe-service.js';
import { http1 } from './fixtures/http1.js';
import { startProbeServer } from './fixtures/probe-server.js';

type Unary = (input: unknown) => Promise<Record<string, unknown>>;

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function startedCounter() {
  let started = 0;
  const waiters: Array<[number, () => void]> = [];
  return {
    onSleepStarted: () => {
      started++;
      for (const [n, wake] of waiters) if (started >= n) wake();
    },
    reached: (n: number) => new Promise<void>((resolve) => (started >= n ? resolve() : waiters.push([n, resolve]))),
  };
}

describe('graceful shutdown', () => {
  test('in-flight requests (HTTP/1.1 and HTTP/2) complete while new connections are refused', async () => {
    const counter = startedCounter();
    const probe = await startProbeServer({ behaviour: { onSleepStarted: counter.onSleepStarted } });
    const grpc = createClient(ProbeService, createGrpcTransport({ baseUrl: probe.url })) as unknown as Record<'sleep' | 'echo', Unary>;

    const overHttp1 = http1(`${probe.url}/aegis.test.v1.ProbeService/Sleep`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration: '0.4s' }),
    });
    const overHttp2 = grpc.sleep({ duration: { seconds: 0n, nanos: 400_000_000 } });
    await counter.reached(2);
    expect(probe.server.inFlight).toBe(2);

    const stopped = probe.server.shutdown(5_000);
    expect(probe.health.draining).toBe(true);
    expect(await connectionRefused(probe.port)).toBe(true);
    // The HTTP/2 connection got GOAWAY, so the client must dial again for a new call, and
    // is refused (connect-node reports a refused dial as `internal`).
    const late = await grpc.echo({ text: 'too late' }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(late?.message).toContain('ECONNREFUSED');

    expect((await overHttp1).status).toBe(200);
    await expect(overHttp2).resolves.toBeDefined();
    await stopped;
    expect(probe.server.inFlight).toBe(0);
  });

  test('idle keep-alive connections are closed at once, so shutdown does not wait for the grace', async () => {
    const probe = await startProbeServer();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const transport = createConnectTransport({ baseUrl: probe.url, httpVersion: '1.1', nodeOptions: { agent } });
    await (createClient(ProbeService, transport) as unknown as Record<'echo', Unary>).echo({ text: 'warm' });
    const sockets = Object.values(agent.freeSockets).flat();
    expect(sockets).toHaveLength(1);
    const closed = new Promise<void>((resolve) => sockets[0]!.once('close', () => resolve()));

    const started = Date.now();
    await probe.server.shutdown(10_000);
    await closed;
    expect(Date.now() - started).toBeLessThan(2_000);
    agent.destroy();
  });

  test('after the grace period, remaining requests are cancelled with Unavailable and shutdown ends', async () => {
    const counter = startedCounter();
    const probe = await startProbeServer({ behaviour: { onSleepStarted: counter.onSleepStarted } });
    const grpc = createClient(ProbeService, createGrpcTransport({ baseUrl: probe.url })) as unknown as Record<'sleep', Unary>;
    const slow = grpc.sleep({ duration: { seconds: 30n, nanos: 0 } }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    await counter.reached(1);

    const started = Date.now();
    await probe.server.shutdown(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await slow)?.code).toBe(Code.Unavailable);
    expect(probe.logs.some((line) => line['msg'] === 'server: grace period over, cancelling in-flight requests')).toBe(true);
  });
});
