import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { EchoRequestSchema, ProbeService } from './fixtures/probe-service.js';
import { grpcJsUnary } from '@aegis/shared/testing';
import { http1 } from './fixtures/http1.js';
import { type ProbeServer, startProbeServer } from './fixtures/probe-server.js';

// The generated-code-free fixture service has no static method types; calls go by local name.
type Unary = (input: unknown) => Promise<Record<string, unknown>>;
function probeClient(transport: Transport): Record<'echo' | 'fail', Unary> {
  return createClient(ProbeService, transport) as unknown as Record<'echo' | 'fail', Unary>;
}

describe('one port, four protocols', () => {
  let probe: ProbeServer;

  beforeAll(async () => {
    probe = await startProbeServer({
      readMaxBytes: 64 * 1024,
      httpRoutes: { '/.well-known/jwks.json': (_req, res) => res.end('{"keys":[]}') },
    });
  });
  afterAll(() => probe.server.shutdown(1_000));

  test('Connect JSON over HTTP/1.1, as curl sends it', async () => {
    const res = await http1(`${probe.url}/aegis.test.v1.ProbeService/Echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ text: 'hello' });
  });

  test('Connect binary over HTTP/1.1', async () => {
    const transport = createConnectTransport({ baseUrl: probe.url, httpVersion: '1.1', useBinaryFormat: true });
    const res = await probeClient(transport).echo(create(EchoRequestSchema, { text: 'binary' } as never));
    expect(res['text']).toBe('binary');
  });

  test('Connect over HTTP/2 prior knowledge', async () => {
    const transport = createConnectTransport({ baseUrl: probe.url, httpVersion: '2' });
    const res = await createClient(Health, transport).check({ service: '' });
    expect(res.status).toBe(ServingStatus.SERVING);
  });

  test('gRPC from @grpc/grpc-js (another implementation)', async () => {
    const res = await grpcJsUnary(`127.0.0.1:${probe.port}`, ProbeService.methods[0]!, create(EchoRequestSchema, { text: 'grpc' } as never));
    expect((res as unknown as Record<string, unknown>)['text']).toBe('grpc');
    const health = await grpcJsUnary(`127.0.0.1:${probe.port}`, Health.method.check, { service: 'aegis.test.v1.ProbeService' });
    expect(health.status).toBe(ServingStatus.SERVING);
  });

  test('gRPC from Connect over HTTP/2', async () => {
    const transport = createGrpcTransport({ baseUrl: probe.url });
    const res = await probeClient(transport).echo({ text: 'grpc-connect' });
    expect(res['text']).toBe('grpc-connect');
  });

  test('gRPC-Web over HTTP/1.1', async () => {
    const transport = createGrpcWebTransport({ baseUrl: probe.url, httpVersion: '1.1' });
    const res = await probeClient(transport).echo({ text: 'web' });
    expect(res['text']).toBe('web');
  });

  test('a thrown plain Error reaches every protocol as Internal "internal error", its message only in the log', async () => {
    const transports = [
      createConnectTransport({ baseUrl: probe.url, httpVersion: '1.1' }),
      createGrpcTransport({ baseUrl: probe.url }),
      createGrpcWebTransport({ baseUrl: probe.url, httpVersion: '1.1' }),
    ];
    for (const transport of transports) {
      const err = await probeClient(transport).fail({}).then(() => undefined, (e: unknown) => ConnectError.from(e));
      expect(err?.code).toBe(Code.Internal);
      expect(err?.rawMessage).toBe('internal error');
    }
    const curl = await http1(`${probe.url}/aegis.test.v1.ProbeService/Fail`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(curl.status).toBe(500);
    expect(JSON.parse(curl.body)).toEqual({ code: 'internal', message: 'internal error' });
    expect(curl.body).not.toContain('api_keys');
    // The operator still gets the original error, in the log.
    expect(JSON.stringify(probe.logs)).toContain('api_keys');
  });

  test('a request over readMaxBytes is refused, not buffered', async () => {
    const res = await http1(`${probe.url}/aegis.test.v1.ProbeService/Echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'x'.repeat(100 * 1024) }),
    });
    expect(JSON.parse(res.body)).toMatchObject({ code: 'resource_exhausted' });
    const transport = createGrpcTransport({ baseUrl: probe.url });
    const err = await probeClient(transport)
      .echo(create(EchoRequestSchema, { padding: new Uint8Array(100 * 1024) } as never))
      .then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(err?.code).toBe(Code.ResourceExhausted);
  });

  test('plain HTTP routes: /healthz, /readyz, extra routes, and 404 for the rest', async () => {
    expect((await http1(`${probe.url}/healthz`)).status).toBe(200);
    expect(await http1(`${probe.url}/readyz`)).toMatchObject({ status: 200, body: 'SERVING\n' });
    expect(await http1(`${probe.url}/.well-known/jwks.json`)).toMatchObject({ status: 200, body: '{"keys":[]}' });
    expect((await http1(`${probe.url}/nope`)).status).toBe(404);
    expect((await http1(`${probe.url}/healthz`, { method: 'POST' })).status).toBe(404);
  });
});

test('a service cannot take over /metrics, /healthz or /readyz', async () => {
  await expect(startProbeServer({ httpRoutes: { '/readyz': (_req, res) => res.end('always ready') } })).rejects.toThrow(
    'httpRoutes: /readyz is served by the server itself',
  );
});

describe('before markReady', () => {
  test('/readyz is 503 and Health reports NOT_SERVING, while /healthz is 200', async () => {
    const probe = await startProbeServer({ ready: false });
    try {
      expect(await http1(`${probe.url}/readyz`)).toMatchObject({ status: 503, body: 'NOT_SERVING\n' });
      expect((await http1(`${probe.url}/healthz`)).status).toBe(200);
      const transport = createConnectTransport({ baseUrl: probe.url, httpVersion: '1.1' });
      expect((await createClient(Health, transport).check({})).status).toBe(ServingStatus.NOT_SERVING);
      await probe.health.markReady();
      expect((await http1(`${probe.url}/readyz`)).status).toBe(200);
    } finally {
      await probe.server.shutdown(1_000);
    }
  });
});
