// The adapters over real HTTP (Express, Fastify) and a Connect router, in front of the faked
// services: status codes, headers and bodies of each outcome.
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { InputValidationService } from '@aegis/proto/aegis/pii/v1/input_validation_service_pb.js';
import { Health } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { createGuard, type Guard } from '../../src/index.js';
import { expressGuard } from '../../src/adapters/express.js';
import { aegisFastifyPlugin, fastifyGuard } from '../../src/adapters/fastify.js';
import { guardContextKey, guardInterceptor, guardRule, requireGuardContext } from '../../src/adapters/connect.js';
import { USER_KEY, fakeAegis, type FakeAnswers } from './fake-aegis.js';

const MODEL = { provider: 'openai', model: 'gpt-4o' };

function guardWith(answers: FakeAnswers = {}) {
  const fake = fakeAegis(answers);
  return { ...fake, guard: createGuard(fake.clients) };
}

const describeBody = (body: { task?: string }, id: string) => ({
  action: 'execute', resource: { kind: 'agent', id }, model: MODEL, input: body.task ?? '', maxOutputTokens: 50,
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: await res.json() as Record<string, any> };
}

function expressApp(guard: Guard, runFails = false) {
  const app = express();
  app.use(express.json());
  app.post('/agents/:id/execute', expressGuard(guard, {
    describe: (req) => describeBody(req.body as { task?: string }, String(req.params['id'])),
    run: async (ctx) => {
      if (runFails) throw new Error('agent crashed');
      return { output: `echo: ${ctx.input as string}`, usage: { promptTokens: 3, completionTokens: 4 } };
    },
  }));
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: { code: 'app_error', message: err.message } });
  });
  return app;
}

describe('Express', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  test('a guarded run answers 200 with the redacted output, usage, exact cost and RateLimit headers', async () => {
    const { guard, names } = guardWith();
    server = createServer(expressApp(guard));
    const url = await listen(server);
    const res = await post(`${url}/agents/bot/execute`, { task: 'mail a@b.co' }, { authorization: `Bearer ${USER_KEY}` });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ output: 'echo: mail <EMAIL>', usage: { promptTokens: 3, completionTokens: 4, estimated: false }, cost: { currencyCode: 'USD', amountNanos: '7000' }, pii: { input: ['email'], output: [] } });
    expect(res.headers.get('ratelimit')).toContain('requests_per_minute');
    expect(names()).toContain('CommitReservation');
  });

  test('refusals: 401 with WWW-Authenticate, 429 with Retry-After, 422 naming the DLP rule', async () => {
    const unauth = guardWith();
    server = createServer(expressApp(unauth.guard));
    let url = await listen(server);
    const missing = await post(`${url}/agents/bot/execute`, { task: 'hi' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.json).toMatchObject({ error: { code: 'unauthenticated', reason: 'missing' } });
    const dlp = await post(`${url}/agents/bot/execute`, { task: 'BLOCKME' }, { 'x-api-key': USER_KEY });
    expect(dlp.status).toBe(422);
    expect(dlp.json).toMatchObject({ error: { code: 'dlp_blocked', rule: 'no_secrets', direction: 'input' } });
    await new Promise((resolve) => server!.close(resolve));

    const limited = guardWith({ rateLimit: { allowed: false, retryAfter: { seconds: 7n, nanos: 0 }, headers: { rateLimit: '"requests_per_minute";r=0;t=7' } } });
    server = createServer(expressApp(limited.guard));
    url = await listen(server);
    const res = await post(`${url}/agents/bot/execute`, { task: 'hi' }, { authorization: `Bearer ${USER_KEY}` });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('ratelimit')).toBe('"requests_per_minute";r=0;t=7');
    expect(res.json).toMatchObject({ error: { code: 'rate_limited', reason: 'rate_limit', retryAfterMs: 7000 } });
  });

  test('an error of the run goes to the application\'s error handler, and the hold is released', async () => {
    const { guard, names } = guardWith();
    server = createServer(expressApp(guard, true));
    const url = await listen(server);
    const res = await post(`${url}/agents/bot/execute`, { task: 'hi' }, { authorization: `Bearer ${USER_KEY}` });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: { code: 'app_error', message: 'agent crashed' } });
    expect(names()).toContain('ReleaseReservation');
  });
});

describe('Fastify', () => {
  test('the route handler answers runs and refusals; the plugin maps refusals thrown by hand-written handlers', async () => {
    const { guard } = guardWith({ reserve: { allowed: false, blockingBudgetId: 'b-9', statuses: [] } });
    const ok = guardWith();
    const app = Fastify();
    await app.register(aegisFastifyPlugin);
    app.post('/agents/:id/execute', fastifyGuard(ok.guard, {
      describe: (request) => describeBody(request.body as { task?: string }, (request.params as { id: string }).id),
      run: async (ctx) => ({ output: `echo: ${ctx.input as string}`, usage: { promptTokens: 1, completionTokens: 1 } }),
    }));
    app.post('/budgeted', async (request) => {
      const result = await guard({ credential: request.headers.authorization, ...describeBody(request.body as { task?: string }, 'x') }, async () => ({ output: 'never' }));
      return result.output;
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const run = await post(`${url}/agents/bot/execute`, { task: 'to x@y.org' }, { authorization: `Bearer ${USER_KEY}` });
      expect(run.status).toBe(200);
      expect(run.json).toMatchObject({ output: 'echo: to <EMAIL>' });
      expect(run.headers.get('ratelimit-policy')).toContain('q=60');
      const bad = await post(`${url}/agents/bot/execute`, { task: 'x' }, { authorization: 'Bearer genxai_live_wrong' });
      expect(bad.status).toBe(401);
      expect(bad.json).toMatchObject({ error: { code: 'unauthenticated', reason: 'invalid' } });
      const budget = await post(`${url}/budgeted`, { task: 'x' }, { authorization: `Bearer ${USER_KEY}` });
      expect(budget.status).toBe(402);
      expect(budget.json).toMatchObject({ error: { code: 'budget_exceeded', budgetId: 'b-9' } });
    } finally {
      await app.close();
    }
  });
});

describe('Connect interceptor', () => {
  function agentRouter(guard: Guard) {
    return createRouterTransport((router) => {
      router.service(InputValidationService, {
        stripInvisible(req, ctx) {
          const run = requireGuardContext(ctx);
          return { text: `${req.text} (as ${run.principal.userId}, ${ctx.values.get(guardContextKey)?.requestId.length} char id)` };
        },
      });
      router.service(Health, { check: () => ({ status: 1 }) });
    }, {
      router: {
        interceptors: [guardInterceptor(guard, [guardRule({
          method: InputValidationService.method.stripInvisible,
          describe: () => ({ action: 'execute', resource: { kind: 'agent', id: 'stripper' }, model: MODEL, maxOutputTokens: 10 }),
          input: (m) => m.text,
          withInput: (m, input) => ({ ...m, text: input as string }),
          output: (m) => m.text,
          withOutput: (m, output) => ({ ...m, text: output as string }),
          usage: () => ({ promptTokens: 2, completionTokens: 2 }),
        })])],
      },
    });
  }

  test('the handler is the run: redacted in, redacted out; refusals are Connect codes; health stays open; unknown RPCs are denied', async () => {
    const { guard } = guardWith();
    const transport = agentRouter(guard);
    const agent = createClient(InputValidationService, transport);
    const res = await agent.stripInvisible({ text: 'ping c@d.io' }, { headers: { authorization: `Bearer ${USER_KEY}` } });
    expect(res.text).toBe('ping <EMAIL> (as user-1, 36 char id)');
    const refused = await agent.stripInvisible({ text: 'x' }).catch((e: unknown) => ConnectError.from(e));
    expect(refused).toMatchObject({ code: Code.Unauthenticated });
    const blocked = await agent.stripInvisible({ text: 'BLOCKME' }, { headers: { 'x-api-key': USER_KEY } }).catch((e: unknown) => ConnectError.from(e));
    expect(blocked).toMatchObject({ code: Code.PermissionDenied });
    expect((blocked as ConnectError).rawMessage).toContain('no_secrets');
    expect((await createClient(Health, transport).check({})).status).toBe(1);
    const unguarded = await agent.validateInput({ text: 'x' }).catch((e: unknown) => ConnectError.from(e));
    expect(unguarded).toMatchObject({ code: Code.PermissionDenied });
  });
});
