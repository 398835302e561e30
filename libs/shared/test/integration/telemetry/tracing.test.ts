import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { clientTracingInterceptor, initTelemetry, type Telemetry } from '../../../src/telemetry/index.js';
import { ProbeService } from '../server/fixtures/probe-service.js';
import { http1 } from '../server/fixtures/http1.js';
import { type ProbeServer, startProbeServer } from '../server/fixtures/probe-server.js';

interface Probe {
  echo(input: unknown): Promise<unknown>;
  fail(input: unknown): Promise<unknown>;
  count(input: unknown): AsyncIterable<unknown>;
}

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let probe: ProbeServer;
let notFound: ProbeServer;
const activeInHandler = new Map<string, string | undefined>();

function tracedClient(url: string): Probe {
  const transport: Transport = createGrpcTransport({ baseUrl: url, interceptors: [clientTracingInterceptor({ rpcSystem: 'grpc' })] });
  return createClient(ProbeService, transport) as unknown as Probe;
}

function spansNamed(name: string): { client: ReadableSpan; server: ReadableSpan } {
  const spans = exporter.getFinishedSpans().filter((s) => s.name === name);
  const client = spans.find((s) => s.kind === SpanKind.CLIENT);
  const server = spans.find((s) => s.kind === SpanKind.SERVER);
  if (!client || !server) throw new Error(`missing spans for ${name}: ${spans.map((s) => SpanKind[s.kind]).join(', ')}`);
  return { client, server };
}

beforeAll(async () => {
  telemetry = initTelemetry({ serviceName: 'probe', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  probe = await startProbeServer({
    behaviour: { onCall: (method) => activeInHandler.set(method, trace.getActiveSpan()?.spanContext().spanId) },
  });
  notFound = await startProbeServer({ behaviour: { failure: () => new ConnectError('no such key', Code.NotFound) } });
});
afterAll(async () => {
  await Promise.all([probe.server.shutdown(1_000), notFound.server.shutdown(1_000)]);
  await telemetry.shutdown();
});
beforeEach(() => exporter.reset());

test('the server span continues the client span: same trace, client span as parent, handler inside it', async () => {
  const tracer = trace.getTracer('test');
  const root = await tracer.startActiveSpan('caller', async (span) => {
    await tracedClient(probe.url).echo({ text: 'traced' });
    span.end();
    return span;
  });
  const { client, server } = spansNamed('aegis.test.v1.ProbeService/Echo');
  expect(client.spanContext().traceId).toBe(root.spanContext().traceId);
  expect(client.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  expect(server.spanContext().traceId).toBe(client.spanContext().traceId);
  expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
  expect(server.parentSpanContext?.isRemote).toBe(true);
  expect(server.attributes).toMatchObject({
    'rpc.system': 'grpc',
    'rpc.service': 'aegis.test.v1.ProbeService',
    'rpc.method': 'Echo',
    'rpc.grpc.status_code': 0,
  });
  expect(server.status.code).toBe(SpanStatusCode.UNSET);
  expect(activeInHandler.get('Echo')).toBe(server.spanContext().spanId);
});

test('a streaming handler runs in its span, which ends when the stream does', async () => {
  const received: unknown[] = [];
  for await (const message of tracedClient(probe.url).count({ to: 3 })) received.push(message);
  expect(received).toHaveLength(3);
  const { client, server } = spansNamed('aegis.test.v1.ProbeService/Count');
  expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
  expect(activeInHandler.get('Count')).toBe(server.spanContext().spanId);
});

test('a server fault marks both spans as errors; the log line of the fault carries the trace id', async () => {
  await tracedClient(probe.url).fail({}).catch(() => undefined);
  const { client, server } = spansNamed('aegis.test.v1.ProbeService/Fail');
  expect(server.status.code).toBe(SpanStatusCode.ERROR);
  expect(server.attributes['rpc.grpc.status_code']).toBe(Code.Internal);
  expect(client.status.code).toBe(SpanStatusCode.ERROR);
  const faultLine = probe.logs.find((line) => line['msg'] === 'unexpected error mapped to internal');
  expect(faultLine?.['trace_id']).toBe(server.spanContext().traceId);
});

test('a caller error (NotFound) is an error for the client span only', async () => {
  await tracedClient(notFound.url).fail({}).catch(() => undefined);
  const { client, server } = spansNamed('aegis.test.v1.ProbeService/Fail');
  expect(server.attributes['rpc.grpc.status_code']).toBe(Code.NotFound);
  expect(server.status.code).toBe(SpanStatusCode.UNSET);
  expect(client.status.code).toBe(SpanStatusCode.ERROR);
});

test('a traceparent header from any HTTP client (curl) is continued', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';
  const res = await http1(`${probe.url}/aegis.test.v1.ProbeService/Echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01` },
    body: '{"text":"curl"}',
  });
  expect(res.status).toBe(200);
  const [server] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
  expect(server?.spanContext().traceId).toBe(traceId);
  expect(server?.parentSpanContext?.spanId).toBe(parentId);
  expect(server?.attributes['rpc.system']).toBe('connect_rpc');
});

test('health checks are not traced', async () => {
  await http1(`${probe.url}/grpc.health.v1.Health/Check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(exporter.getFinishedSpans()).toEqual([]);
});

test('initTelemetry twice in one process is refused', () => {
  expect(() => initTelemetry({ serviceName: 'again' })).toThrow('already called');
});
