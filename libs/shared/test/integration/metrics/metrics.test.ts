import { createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { Counter } from 'prom-client';
import { ProbeService } from '../server/fixtures/probe-service.js';
import { http1 } from '../server/fixtures/http1.js';
import { type ProbeServer, startProbeServer } from '../server/fixtures/probe-server.js';

interface Probe {
  echo(input: unknown): Promise<unknown>;
  fail(input: unknown): Promise<unknown>;
  count(input: unknown, opts?: { signal?: AbortSignal }): AsyncIterable<unknown>;
}
const probeClient = (transport: Transport) => createClient(ProbeService, transport) as unknown as Probe;

async function scrape(probe: ProbeServer): Promise<string> {
  const res = await http1(`${probe.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body;
}

const series = (method: string, code: string) =>
  `{service="aegis.test.v1.ProbeService",method="${method}",code="${code}"}`;

describe('/metrics', () => {
  let a: ProbeServer;
  let b: ProbeServer;

  beforeAll(async () => {
    [a, b] = await Promise.all([startProbeServer(), startProbeServer()]);
  });
  afterAll(() => Promise.all([a.server.shutdown(1_000), b.server.shutdown(1_000)]));

  test('counts unary calls by service, method and code, whatever the protocol', async () => {
    await probeClient(createConnectTransport({ baseUrl: a.url, httpVersion: '1.1' })).echo({ text: 'one' });
    await probeClient(createGrpcTransport({ baseUrl: a.url })).echo({ text: 'two' });
    await probeClient(createGrpcTransport({ baseUrl: a.url })).fail({}).catch(() => undefined);

    const text = await scrape(a);
    expect(text).toContain(`rpc_server_requests_total${series('Echo', 'ok')} 2`);
    expect(text).toContain(`rpc_server_requests_total${series('Fail', 'internal')} 1`);
    expect(text).toContain(`rpc_server_duration_seconds_count${series('Echo', 'ok')} 2`);
    expect(text).toMatch(/rpc_server_duration_seconds_bucket\{le="0\.0005",service="aegis\.test\.v1\.ProbeService",method="Echo",code="ok"\}/);
  });

  test('records a server stream once, when it ends, and a stream the client abandons as canceled', async () => {
    const client = probeClient(createGrpcTransport({ baseUrl: a.url }));
    const received: unknown[] = [];
    for await (const message of client.count({ to: 3 })) received.push(message);
    expect(received).toHaveLength(3);
    expect(await scrape(a)).toContain(`rpc_server_requests_total${series('Count', 'ok')} 1`);

    const abort = new AbortController();
    for await (const _ of client.count({ to: 1_000_000 }, { signal: abort.signal })) {
      abort.abort();
      break;
    }
    let text = '';
    for (let attempt = 0; attempt < 50 && !text.includes(series('Count', 'canceled')); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      text = await scrape(a);
    }
    expect(text).toContain(`rpc_server_requests_total${series('Count', 'canceled')} 1`);
  });

  test('each server has its own registry; process metrics appear on both', async () => {
    await probeClient(createConnectTransport({ baseUrl: b.url, httpVersion: '1.1' })).echo({ text: 'b' });
    const [textA, textB] = await Promise.all([scrape(a), scrape(b)]);
    expect(textB).toContain(`rpc_server_requests_total${series('Echo', 'ok')} 1`);
    expect(textA).not.toContain(`rpc_server_requests_total${series('Echo', 'ok')} 1`);
    for (const text of [textA, textB]) expect(text).toContain('process_cpu_user_seconds_total');
  });

  test("a service's own metrics, registered on metrics.registry, are exposed", async () => {
    const issued = new Counter({ name: 'auth_api_keys_issued_total', help: 'API keys issued.', registers: [a.metrics.registry] });
    issued.inc(3);
    expect(await scrape(a)).toContain('auth_api_keys_issued_total 3');
    expect(await scrape(b)).not.toContain('auth_api_keys_issued_total');
  });
});
