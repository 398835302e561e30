import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../../src/logging/index.js';

function capture() {
  const lines: string[] = [];
  const destination = { write: (chunk: string) => void lines.push(chunk) };
  const records = () => lines.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, destination, records };
}

describe('createLogger output', () => {
  test('writes one JSON object per line with service, level, ISO time and message', () => {
    const out = capture();
    const logger = createLogger({ service: 'auth', destination: out.destination });
    logger.info({ tenant: 'acme' }, 'key created');
    logger.warn('slow');

    const [first, second] = out.records();
    expect(first).toMatchObject({ service: 'auth', level: 30, tenant: 'acme', msg: 'key created' });
    expect(second).toMatchObject({ service: 'auth', level: 40, msg: 'slow' });
    expect(new Date(first!.time as string).toISOString()).toBe(first!.time);
    // pid/hostname are replaced by {service} as the only base field
    expect(first).not.toHaveProperty('pid');
    expect(first).not.toHaveProperty('hostname');
  });

  test('honours the level option', () => {
    const quiet = capture();
    createLogger({ service: 'pii', destination: quiet.destination }).debug('hidden');
    expect(quiet.lines).toHaveLength(0);

    const verbose = capture();
    createLogger({ service: 'pii', level: 'debug', destination: verbose.destination }).debug('shown');
    expect(verbose.records()[0]).toMatchObject({ msg: 'shown', level: 20 });
  });

  test('child loggers keep the service field', () => {
    const out = capture();
    createLogger({ service: 'billing', destination: out.destination }).child({ rpc: 'x/Y' }).info('hi');
    expect(out.records()[0]).toMatchObject({ service: 'billing', rpc: 'x/Y' });
  });
});

describe('trace correlation', () => {
  const contextManager = new AsyncLocalStorageContextManager();
  const provider = new BasicTracerProvider();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    await provider.shutdown();
  });

  test('adds trace_id and span_id of the active span, and nothing outside a span', async () => {
    const out = capture();
    const logger = createLogger({ service: 'policy', destination: out.destination });
    const tracer = trace.getTracer('logger-test');

    let expected: { traceId: string; spanId: string } | undefined;
    await tracer.startActiveSpan('evaluate', async (span) => {
      expected = span.spanContext();
      await Promise.resolve(); // the ids must survive an await (async context propagation)
      logger.info('inside');
      span.end();
    });
    logger.info('outside');

    const [inside, outside] = out.records();
    expect(expected?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(inside).toMatchObject({ msg: 'inside', trace_id: expected!.traceId, span_id: expected!.spanId });
    expect(outside).toMatchObject({ msg: 'outside' });
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
  });
});

describe('secret redaction', () => {
  test('censors secret-bearing fields at the top level and one or two levels deep', () => {
    const out = capture();
    const logger = createLogger({ service: 'auth', destination: out.destination });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer s3cr3t-jwt', 'x-api-key': 'ak_live_123', cookie: 'sid=abc', accept: 'application/json' } },
        password: 'hunter2',
        token: 'tok-top',
        user: { id: 'u1', apiKey: 'ak_user', api_key: 'ak_snake', refreshToken: 'rt-1' },
        oauth: { clientSecret: 'cs-1', privateKey: 'pk-1', secret: 'plain-secret' },
        hashing: { pepper: 'pep-1' },
      },
      'request',
    );

    const raw = out.lines.join('');
    for (const secret of ['s3cr3t-jwt', 'ak_live_123', 'sid=abc', 'hunter2', 'tok-top', 'ak_user', 'ak_snake', 'rt-1', 'cs-1', 'pk-1', 'plain-secret', 'pep-1']) {
      expect(raw).not.toContain(secret);
    }
    const record = out.records()[0]!;
    expect(record).toMatchObject({
      req: { headers: { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', cookie: '[REDACTED]', accept: 'application/json' } },
      password: '[REDACTED]',
      token: '[REDACTED]',
      user: { id: 'u1', apiKey: '[REDACTED]', api_key: '[REDACTED]', refreshToken: '[REDACTED]' },
      oauth: { clientSecret: '[REDACTED]', privateKey: '[REDACTED]', secret: '[REDACTED]' },
      hashing: { pepper: '[REDACTED]' },
    });
  });

  test('leaves the caller object untouched', () => {
    const out = capture();
    const payload = { user: { password: 'hunter2' } };
    createLogger({ service: 'auth', destination: out.destination }).info(payload, 'x');
    expect(payload.user.password).toBe('hunter2');
  });
});
