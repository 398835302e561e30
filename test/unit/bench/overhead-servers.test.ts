// The servers of bench/runtime-overhead.ts, on loopback: every contender answers, and only
// the runtime's calls go through its interceptors. Counts, never timings.
import { fileURLToPath } from 'node:url';
import { grpcTransport, connectJsonTransport, type BenchTransport } from '../../../bench/lib/bench-transports.js';
import { startChildServer } from '../../../bench/lib/child-server.js';
import { healthCheckContender } from '../../../bench/lib/health-baseline.js';
import { runLoad } from '../../../bench/lib/load-run.js';
import { type OverheadServerUrls, startOverheadServers } from '../../../bench/servers/overhead-servers.js';

async function healthChecksCounted(runtimeUrl: string): Promise<number> {
  const body = await (await fetch(`${runtimeUrl}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith('rpc_server_requests_total{') && l.includes('method="Check"'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('runtime-overhead servers', () => {
  let servers: Awaited<ReturnType<typeof startOverheadServers>>;
  const transports: BenchTransport[] = [];
  beforeAll(async () => {
    servers = await startOverheadServers({ telemetry: false });
  });
  afterAll(async () => {
    for (const t of transports) t.close();
    await servers.stop();
  });

  it('answers Health/Check over gRPC and Connect JSON, counting only the runtime\'s calls in its metrics', async () => {
    const { runtime, bareHttp2, bareHttp1 } = servers.info;
    const open = (t: BenchTransport) => (transports.push(t), t.transport);
    for (const transport of [open(grpcTransport(bareHttp2)), open(connectJsonTransport(bareHttp1))]) {
      await runLoad(healthCheckContender(transport).call, { concurrency: 4, count: 20 });
    }
    expect(await healthChecksCounted(runtime)).toBe(0);
    for (const transport of [open(grpcTransport(runtime)), open(connectJsonTransport(runtime))]) {
      const result = await runLoad(healthCheckContender(transport).call, { concurrency: 4, count: 20 });
      expect(result.calls).toBe(20);
    }
    expect(await healthChecksCounted(runtime)).toBe(40);
  });
});

describe('startChildServer', () => {
  it('runs the servers in a child process that reports its CPU time and stops when asked', async () => {
    const entry = fileURLToPath(new URL('../../../bench/servers/overhead-servers-child.ts', import.meta.url));
    const child = await startChildServer<OverheadServerUrls>(entry, { args: [JSON.stringify({ telemetry: true })] });
    const transport = grpcTransport(child.info.runtime);
    try {
      const before = await child.cpuUsageUs();
      await runLoad(healthCheckContender(transport.transport).call, { concurrency: 2, count: 50 });
      const after = await child.cpuUsageUs();
      expect(child.pid).not.toBe(process.pid);
      expect(after).toBeGreaterThan(before);
    } finally {
      transport.close();
      await child.stop();
    }
    expect(() => process.kill(child.pid, 0)).toThrow();
  });
});
