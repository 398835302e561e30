import { Code, ConnectError, createRouterTransport } from '@connectrpc/connect';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { context, propagation, trace } from '@opentelemetry/api';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { UsageService } from '@aegis/proto/aegis/billing/v1/usage_service_pb.js';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { DEFAULT_RETRY, aegisRetrySafety, backoffMs, createAegisClients } from '../../src/index.js';
import { credentialFromHeaders } from '../../src/guard/credential.js';
import { parseCredential } from '../../src/guard/credential.js';

describe('retry policy', () => {
  test('full jitter stays under the doubling bound and the cap', () => {
    const policy = { ...DEFAULT_RETRY, initialBackoffMs: 10, maxBackoffMs: 35 };
    expect(backoffMs(policy, 1, () => 0.999)).toBe(9);
    expect(backoffMs(policy, 2, () => 0.999)).toBe(19);
    expect(backoffMs(policy, 3, () => 0.999)).toBe(34);
    expect(backoffMs(policy, 9, () => 0.999)).toBe(34);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
  });

  test('repeats only what the contract makes safe', () => {
    expect(aegisRetrySafety(ApiKeyService.method.verifyApiKey, {})).toBe(true); // IDEMPOTENT
    expect(aegisRetrySafety(ApiKeyService.method.createApiKey, {})).toBe(false);
    expect(aegisRetrySafety(RateLimitService.method.check, {})).toBe(false);
    expect(aegisRetrySafety(RateLimitService.method.refund, {})).toBe(false);
    expect(aegisRetrySafety(UsageService.method.recordUsage, { eventId: '' })).toBe(false);
    expect(aegisRetrySafety(UsageService.method.recordUsage, { eventId: '0190-…' })).toBe(true);
  });
});

describe('clients', () => {
  test('send the platform key, retry Unavailable within the deadline, and leave other codes alone', async () => {
    let attempts = 0;
    const seen: (string | null)[] = [];
    const clients = createAegisClients({
      urls: 'http://unused.test',
      apiKey: 'svc-key',
      retry: { initialBackoffMs: 1, maxBackoffMs: 1 },
      transport: (_s, options) => createRouterTransport((router) => router.service(ApiKeyService, {
        verifyApiKey(_req, ctx) {
          seen.push(ctx.requestHeader.get('authorization'));
          attempts++;
          if (attempts < 3) throw new ConnectError('starting', Code.Unavailable);
          return { valid: false };
        },
        createApiKey() {
          attempts++;
          throw new ConnectError('down', Code.Unavailable);
        },
      }), { transport: options }),
    });
    expect((await clients.auth.apiKeys.verifyApiKey({ key: 'k' })).valid).toBe(false);
    expect(attempts).toBe(3);
    expect(seen).toEqual(['Bearer svc-key', 'Bearer svc-key', 'Bearer svc-key']);
    attempts = 0;
    await expect(clients.auth.apiKeys.createApiKey({ tenantId: 't', name: 'n' })).rejects.toMatchObject({ code: Code.Unavailable });
    expect(attempts).toBe(1);
  });

  test('the deadline bounds the retries', async () => {
    let attempts = 0;
    const clients = createAegisClients({
      urls: 'http://unused.test',
      apiKey: 'svc-key',
      timeoutMs: 60,
      retry: { maxAttempts: 1000, initialBackoffMs: 20, maxBackoffMs: 20 },
      transport: (_s, options) => createRouterTransport((router) => router.service(ApiKeyService, {
        verifyApiKey() {
          attempts++;
          throw new ConnectError('down', Code.Unavailable);
        },
      }), { transport: options }),
    });
    await expect(clients.auth.apiKeys.verifyApiKey({ key: 'k' })).rejects.toBeInstanceOf(ConnectError);
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThan(20);
  });

  test('propagate the W3C trace context of the caller\'s span', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      let traceparent: string | null = null;
      const clients = createAegisClients({
        urls: 'http://unused.test',
        apiKey: 'svc-key',
        transport: (_s, options) => createRouterTransport((router) => router.service(ApiKeyService, {
          verifyApiKey(_req, ctx) {
            traceparent = ctx.requestHeader.get('traceparent');
            return { valid: false };
          },
        }), { transport: options }),
      });
      const parent = trace.getTracer('test').startSpan('platform request');
      await context.with(trace.setSpan(context.active(), parent), () => clients.auth.apiKeys.verifyApiKey({ key: 'k' }));
      parent.end();
      const traceId = parent.spanContext().traceId;
      expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      const client = exporter.getFinishedSpans().find((s) => s.name === 'aegis.auth.v1.ApiKeyService/VerifyApiKey');
      expect(client?.parentSpanContext?.spanId ?? (client as unknown as { parentSpanId?: string })?.parentSpanId).toBe(parent.spanContext().spanId);
    } finally {
      trace.disable();
      propagation.disable();
      context.disable();
      await provider.shutdown();
    }
  });

  test('refuse a configuration without the service key or a URL', () => {
    expect(() => createAegisClients({ urls: 'http://x.test', apiKey: ' ' })).toThrow(/apiKey/);
    expect(() => createAegisClients({ urls: { auth: 'x' } as never, apiKey: 'k' })).toThrow(/URL for the auth service/);
  });
});

describe('end-user credentials', () => {
  test('Authorization wins over x-api-key; Node and fetch headers both work', () => {
    expect(credentialFromHeaders({ authorization: 'Bearer a', 'x-api-key': 'b' })).toBe('Bearer a');
    expect(credentialFromHeaders({ 'x-api-key': ' b ' })).toBe('b');
    expect(credentialFromHeaders(new Headers({ 'X-Api-Key': 'c' }))).toBe('c');
    expect(credentialFromHeaders({})).toBeUndefined();
  });

  test('JWTs are access tokens, anything else an API key; other schemes are refused', () => {
    expect(parseCredential('Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln')).toMatchObject({ kind: 'access_token' });
    expect(parseCredential('bearer genxai_live_abc')).toEqual({ kind: 'api_key', value: 'genxai_live_abc' });
    expect(parseCredential('genxai_live_abc')).toEqual({ kind: 'api_key', value: 'genxai_live_abc' });
    expect(() => parseCredential('Basic dXNlcjpwYXNz')).toThrow(/unsupported Authorization scheme/);
    expect(() => parseCredential('Bearer ')).toThrow(/missing credential/);
    expect(() => parseCredential('x'.repeat(20_000))).toThrow(/too long/);
  });
});
