// The HTTP adapters in front of the five real services (Postgres, Redis, Kafka): Express over
// the Connect protocol, Fastify over gRPC, each answering runs and refusals over real HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { createAegis, type Aegis, type GuardRunContext, type RunResult } from '../../src/index.js';
import { expressGuard } from '../../src/adapters/express.js';
import { fastifyGuard } from '../../src/adapters/fastify.js';
import { startPlatform, type RunningPlatform } from './platform-harness.js';

// Deadlines far above any answer time: tests never pass or fail on speed.
const TEST_TIMEOUT_MS = 30_000;

let platform: RunningPlatform;
let aegis: Aegis;

beforeAll(async () => {
  platform = await startPlatform();
  const { admin, tenantId } = platform;
  await admin.policy.roles.createRole({ tenantId, role: { name: 'agent_runner', permissions: ['agent:execute'], modelAccess: ['gpt-4o'] } });
  await admin.pii.dlp.createDlpRule({ tenantId, rule: { name: 'redact_email', match: { case: 'piiType', value: 'email' }, action: DlpAction.REDACT, enabled: true } });
  await admin.pii.dlp.createDlpRule({ tenantId, rule: { name: 'block_codenames', match: { case: 'pattern', value: 'PROJECT-[0-9]{4}' }, action: DlpAction.BLOCK, enabled: true } });
  aegis = createAegis({ urls: platform.urls, apiKey: platform.serviceKey, timeoutMs: TEST_TIMEOUT_MS });
}, 120_000);

afterAll(async () => {
  await aegis?.close();
  await platform?.stop();
});

const agent = async (ctx: GuardRunContext): Promise<RunResult> => ({
  output: `Reply drafted for: ${ctx.input as string}. Copy sent to ops.lead@example.org`,
  usage: { promptTokens: 120, completionTokens: 80 },
});

describe('Express middleware on the real services', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.use(express.json());
    app.post('/agents/:id/execute', expressGuard(aegis.guard, {
      describe: (req) => ({
        action: 'execute', resource: { kind: 'agent', id: String(req.params['id']) }, model: { provider: 'openai', model: 'gpt-4o' },
        input: String((req.body as { task?: unknown }).task ?? ''), maxOutputTokens: 100,
      }),
      run: agent,
    }));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  test('200 with the redacted output and the RateLimit headers; 401, 403 and 422 as JSON errors', async () => {
    const runner = await platform.user(['agent_runner'], RateLimitTier.PRO);
    const viewer = await platform.user(['viewer']);
    const call = (credential: string | undefined, task: string) => fetch(`${url}/agents/helper/execute`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) }, body: JSON.stringify({ task }),
    });
    const ok = await call(runner.key, 'write to a.b@example.com');
    expect(ok.status).toBe(200);
    const body = await ok.json() as { output: string; usage: { promptTokens: number }; cost: { amountNanos: string } };
    expect(body.output).not.toContain('a.b@example.com');
    expect(body.usage.promptTokens).toBe(120);
    expect(BigInt(body.cost.amountNanos)).toBeGreaterThan(0n);
    expect(ok.headers.get('ratelimit-policy')).toContain('requests_per_minute');
    expect((await call(undefined, 'x')).status).toBe(401);
    const forbidden = await call(viewer.key, 'x');
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: { code: 'permission_denied', permission: 'agent:execute' } });
    const blocked = await call(runner.key, 'PROJECT-1234 please');
    expect(blocked.status).toBe(422);
    expect(await blocked.json()).toMatchObject({ error: { code: 'dlp_blocked', rule: 'block_codenames' } });
  });
});

test('Fastify route on the real services, over the gRPC protocol', async () => {
  const grpc = createAegis({ urls: platform.urls, apiKey: platform.serviceKey, timeoutMs: TEST_TIMEOUT_MS, protocol: 'grpc' });
  const app = Fastify();
  app.post('/agents/:id/execute', fastifyGuard(grpc.guard, {
    describe: (req) => ({
      action: 'execute', resource: { kind: 'agent', id: (req.params as { id: string }).id }, model: { provider: 'openai', model: 'gpt-4o' },
      input: String((req.body as { task?: unknown }).task ?? ''), maxOutputTokens: 100,
    }),
    run: agent,
  }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const runner = await platform.user(['agent_runner']);
    const call = (credential: string, task: string) => fetch(`${url}/agents/helper/execute`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': credential }, body: JSON.stringify({ task }),
    });
    const ok = await call(runner.key, 'mail c.d@example.com');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { output: string }).output).not.toContain('c.d@example.com');
    const bad = await call('genxai_live_0000000000000000000000000000000000000000', 'x');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 'unauthenticated', reason: 'invalid' } });
  } finally {
    await app.close();
    await grpc.close();
  }
});
