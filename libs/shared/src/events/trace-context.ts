// W3C trace context across the bus: the publisher's active context travels in event headers
// and the consumer's handler runs inside it, so a consumer's spans join the publisher's trace.
// Both use the globally registered propagator; with none registered these are no-ops.

import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Context, type Link } from '@opentelemetry/api';
import type { ConsumedEvent, Subscription } from './ports.js';

/** Headers to send: the active trace context, overridden by any header the caller set itself. */
export function headersWithTraceContext(headers: Record<string, string> | undefined): Record<string, string> {
  return { ...activeTraceCarrier(), ...headers };
}

/**
 * The active trace context as W3C headers (empty without a propagator or a trace), to store
 * beside a message that is published later, outside the request (an outbox row).
 */
export function activeTraceCarrier(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/**
 * Runs `publish` inside the trace context a stored carrier (activeTraceCarrier) describes, or
 * in no trace at all without one (not in whatever request happens to be running the relay).
 */
export function inStoredTraceContext<T>(carrier: Record<string, string> | undefined, publish: () => Promise<T>): Promise<T> {
  return context.with(carrier === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, carrier), publish);
}

/**
 * The publisher's context, extracted on top of the root context so that nothing from the
 * consumer's own call stack leaks into the handler.
 */
export function traceContextOf(event: ConsumedEvent): Context {
  return propagation.extract(ROOT_CONTEXT, event.headers);
}

/**
 * Splits a partition's batch into runs of consecutive events that carry the same trace
 * context, so a handler call can run inside exactly one publisher context without reordering.
 * Events published within one traced request stay together; untraced events batch freely.
 */
export function splitByTraceContext(events: readonly ConsumedEvent[]): ConsumedEvent[][] {
  const fields = propagation.fields();
  const signature = (event: ConsumedEvent): string => fields.map((f) => event.headers[f] ?? '').join('\n');

  const runs: ConsumedEvent[][] = [];
  let current: ConsumedEvent[] = [];
  let currentSignature: string | undefined;
  for (const event of events) {
    const s = signature(event);
    if (current.length > 0 && s !== currentSignature) {
      runs.push(current);
      current = [];
    }
    current.push(event);
    currentSignature = s;
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/** Runs `handle` inside the trace context shared by `events` (one run from splitByTraceContext). */
export function inTraceContextOf<T>(events: readonly ConsumedEvent[], handle: () => Promise<T>): Promise<T> {
  const first = events[0];
  return first ? context.with(traceContextOf(first), handle) : handle();
}

// A batch span links to at most this many publishers: enough to follow a sample, bounded per batch.
const MAX_LINKS = 128;
const tracer = trace.getTracer('@aegis/shared/events');

/**
 * Runs `handle` for a whole batch that mixes publishers' traces (a consumer that aggregates,
 * such as billing's ledger): inside a new root `<topic> process` span that links to each
 * distinct publisher context, as OpenTelemetry's messaging conventions do for batch receiving.
 * Splitting such a batch by trace would hand the handler one event at a time whenever every
 * event comes from its own request, which is the normal case with tracing on.
 */
export function inLinkedSpanOf<T>(events: readonly ConsumedEvent[], handle: () => Promise<T>): Promise<T> {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    if (links.length >= MAX_LINKS) break;
    const parent = trace.getSpanContext(traceContextOf(event));
    if (parent === undefined || seen.has(parent.spanId)) continue;
    seen.add(parent.spanId);
    links.push({ context: parent });
  }
  const topic = events[0]?.topic ?? 'events';
  return tracer.startActiveSpan(`${topic} process`, { kind: SpanKind.CONSUMER, root: true, links, attributes: { 'messaging.batch.message_count': events.length } }, ROOT_CONTEXT, async (span) => {
    try {
      return await handle();
    } finally {
      span.end();
    }
  });
}

/** The runs `subscription` is handed a delivered batch in, each with how to run its handler. */
export function handlerRuns(subscription: Pick<Subscription, 'traceContext'>, events: readonly ConsumedEvent[]): { run: ConsumedEvent[]; within: <T>(handle: () => Promise<T>) => Promise<T> }[] {
  if (subscription.traceContext === 'linked') {
    const run = [...events];
    return run.length === 0 ? [] : [{ run, within: (handle) => inLinkedSpanOf(run, handle) }];
  }
  return splitByTraceContext(events).map((run) => ({ run, within: (handle) => inTraceContextOf(run, handle) }));
}
