// The runtime end to end: the auth service as its own process on real Postgres, Redis and
// Kafka; a real gRPC client (@grpc/grpc-js) and a plain HTTP JSON client call it; health and
// reflection answer; the audit event it publishes is consumed from Kafka by this process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { ServerReflection } from '@aegis/proto/grpc/reflection/v1/reflection_pb.js';
import { createEventBus, createLogger, decodeEvent, type ConsumedEvent, type EventBus, TOPICS } from '@aegis/shared';
import { createTestDatabase, grpcJsReflectionStream, grpcJsUnary, requireKafka, type TestDatabase } from '@aegis/shared/testing';
import { postJson, startChild, type ChildService } from './support/child-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let brokers: string[];
let database: TestDatabase;
let dataDir: string;
let auth: ChildService;
let url: string;
let address: string;
let bootstrapKey: string;

beforeAll(async () => {
  brokers = await requireKafka();
  database = await createTestDatabase({ schema: 'auth' });
  dataDir = await mkdtemp(join(tmpdir(), 'aegis-e2e-'));
  auth = startChild('services/auth/src/main.ts', {
    DATABASE_URL: database.url!,
    REDIS_URL,
    KAFKA_BROKERS: brokers.join(','),
    AEGIS_DATA_DIR: dataDir,
    AEGIS_AUTH_PORT: '0',
    AEGIS_AUTH_API_KEY_PEPPER: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
  });
  url = (await auth.waitFor(/"url":"(http:\/\/[^"]+)"/))[1]!;
  address = url.replace('http://', '');
  bootstrapKey = (await auth.waitFor(/\b(genxai_live_[0-9A-Za-z]{38})\b/))[1]!;
}, 90_000);

afterAll(async () => {
  await auth?.stop('SIGKILL');
  await database?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('gRPC health answers SERVING once its Postgres and Redis are up', async () => {
  const res = await grpcJsUnary(address, Health.method.check, {});
  expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  const perService = await grpcJsUnary(address, Health.method.check, { service: ApiKeyService.typeName });
  expect(perService.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
});

test('a real gRPC client verifies the bootstrap key', async () => {
  const res = await grpcJsUnary(address, ApiKeyService.method.verifyApiKey, { key: bootstrapKey });
  expect(res.valid).toBe(true);
  expect(res.principal?.tenantId).toBe('default');
  expect(res.principal?.roles).toEqual(['admin']);
});

test('a plain HTTP JSON client (curl-style Connect) gets the same answer', async () => {
  const ok = await postJson(`${url}/aegis.auth.v1.ApiKeyService/VerifyApiKey`, { key: bootstrapKey });
  expect(ok.status).toBe(200);
  expect(ok.json).toMatchObject({ valid: true, principal: { tenantId: 'default', userId: 'admin' } });

  const lookAlike = bootstrapKey.slice(0, -1) + (bootstrapKey.endsWith('A') ? 'B' : 'A');
  const bad = await postJson(`${url}/aegis.auth.v1.ApiKeyService/VerifyApiKey`, { key: lookAlike });
  expect(bad.json).toMatchObject({ reason: 'API_KEY_INVALID_REASON_BAD_CHECKSUM' });

  const empty = await postJson(`${url}/aegis.auth.v1.ApiKeyService/VerifyApiKey`, { key: '' });
  expect(empty.status).toBe(400);
  expect(empty.json).toMatchObject({ code: 'invalid_argument' });
  expect(String(empty.json.message)).toContain('key');

  const garbage = await postJson(`${url}/aegis.auth.v1.ApiKeyService/VerifyApiKey`, '{not json');
  expect(garbage.json).toMatchObject({ code: 'invalid_argument' });
});

test('gRPC server reflection lists the services, as grpcurl list does', async () => {
  const stream = grpcJsReflectionStream(address, ServerReflection);
  try {
    const res = await stream.ask({ messageRequest: { case: 'listServices', value: '' } });
    const names = res.messageResponse.case === 'listServicesResponse' ? res.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining(['aegis.auth.v1.ApiKeyService', 'aegis.auth.v1.TokenService', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection']));
    const file = await stream.ask({ messageRequest: { case: 'fileContainingSymbol', value: 'aegis.auth.v1.ApiKeyService' } });
    expect(file.messageResponse.case).toBe('fileDescriptorResponse');
  } finally {
    stream.close();
  }
});

test('the audit event published by the auth process is consumed from Kafka by this one', async () => {
  const verified = await grpcJsUnary(address, ApiKeyService.method.verifyApiKey, { key: bootstrapKey });
  const bus: EventBus = await createEventBus({ kafkaBrokers: brokers, clientId: 'e2e-audit-reader', dataDir, logger: createLogger({ service: 'e2e', level: 'warn' }) });
  try {
    const found = new Promise<ConsumedEvent>((resolve) => {
      void bus.subscribe({
        groupId: `e2e-audit-${randomBytes(4).toString('hex')}`,
        topics: [TOPICS.audit],
        fromBeginning: true,
        async handleBatch(events) {
          for (const e of events) {
            const event = decodeEvent(e.value);
            if (event.payload.case === 'audit' && event.payload.value.resource?.id === verified.keyId) resolve(e);
          }
        },
      });
    });
    const consumed = await found;
    const event = decodeEvent(consumed.value);
    expect(event).toMatchObject({ source: 'auth', tenantId: 'default', action: 'api_key.created' });
    expect(consumed.key).toBe('default');
    expect(Buffer.from(consumed.value).includes(bootstrapKey.slice(12, 44))).toBe(false);
  } finally {
    await bus.close();
  }
}, 60_000);

test('Prometheus metrics count the calls by service, method and code', async () => {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  expect(text).toMatch(/rpc_server_requests_total\{service="aegis\.auth\.v1\.ApiKeyService",method="VerifyApiKey",code="ok"\} [1-9]/);
  expect(text).toMatch(/rpc_server_requests_total\{service="aegis\.auth\.v1\.ApiKeyService",method="VerifyApiKey",code="invalid_argument"\} [1-9]/);
});

test('SIGTERM drains and exits cleanly, and the secret never reached the logs', async () => {
  const code = await auth.stop('SIGTERM');
  expect(code).toBe(0);
  const logLines = auth.stdout().split('\n').filter((line) => line.startsWith('{'));
  expect(logLines.some((line) => line.includes('shutdown: complete'))).toBe(true);
  expect(logLines.some((line) => line.includes(bootstrapKey))).toBe(false);
});
