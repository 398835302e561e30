// W3C trace context across the bus: the publisher's active context travels in event headers
// and the consumer's handler runs inside it, so a consumer's spans join the publisher's trace.
// Both use the globally registered propagator; with none registered these are no-ops.

import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { ConsumedEvent } from './ports.js';

/** Headers to send: the active trace context, overridden by any header the caller set itself. */
export function headersWithTraceContext(headers: Record<string, string> | undefined): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return { ...carrier, ...headers };
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
