import { context, propagation, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ConsumedEvent } from '../../../src/events/ports.js';
import { headersWithTraceContext, inTraceContextOf, splitByTraceContext } from '../../../src/events/trace-context.js';

const tracer = new BasicTracerProvider().getTracer('trace-context-test');
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  propagation.disable();
  context.disable();
});

const inSpan = <T>(fn: (span: SpanContext) => T): T =>
  tracer.startActiveSpan('publish', (span) => {
    try {
      return fn(span.spanContext());
    } finally {
      span.end();
    }
  });
const event = (n: number, headers: Record<string, string>): ConsumedEvent => ({
  topic: 't',
  key: 'k',
  value: new Uint8Array([n]),
  headers,
  partition: 0,
  offset: String(n),
  timestamp: 0,
});

describe('trace context on events', () => {
  test('publishing inside a span adds its traceparent; caller headers are kept and win', () => {
    const { span, headers } = inSpan((span) => ({ span, headers: headersWithTraceContext({ 'x-event-type': 'a' }) }));
    expect(headers['traceparent']).toBe(`00-${span.traceId}-${span.spanId}-01`);
    expect(headers['x-event-type']).toBe('a');
    expect(inSpan(() => headersWithTraceContext({ traceparent: 'mine' }))['traceparent']).toBe('mine');
    expect(headersWithTraceContext(undefined)).toEqual({});
  });

  test('a batch is split into consecutive runs that share a trace context, keeping order', () => {
    const a = inSpan(() => headersWithTraceContext({}));
    const b = inSpan(() => headersWithTraceContext({}));
    const events = [event(0, a), event(1, a), event(2, b), event(3, {}), event(4, {}), event(5, a)];
    const runs = splitByTraceContext(events).map((run) => run.map((e) => e.offset));
    expect(runs).toEqual([['0', '1'], ['2'], ['3', '4'], ['5']]);
  });

  test('a run is handled inside its publisher context, and an untraced run inside none', async () => {
    const { span, headers } = inSpan((span) => ({ span, headers: headersWithTraceContext({}) }));
    const seen = await inTraceContextOf([event(0, headers)], async () => trace.getSpanContext(context.active()));
    expect(seen).toMatchObject({ traceId: span.traceId, spanId: span.spanId, isRemote: true });
    // Even when called from inside some other span, an untraced event does not inherit it.
    const untraced = await inSpan(() => inTraceContextOf([event(1, {})], async () => trace.getSpanContext(context.active())));
    expect(untraced).toBeUndefined();
  });
});
