// Building an event: the one place that stamps id, time and trace context,
// so every producer's events look the same.
import { create } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { context as otelContext, propagation } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { Event, Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { newEventId } from './event-id.js';
import { assertValidEvent } from './validate.js';

type EventInit = MessageInitShape<typeof EventSchema>;

/** One of the envelope's typed payloads, e.g. `{ case: 'usage', value: { ... } }`. */
export type EventPayloadInit = Exclude<NonNullable<EventInit['payload']>, { case: undefined }>;

/** Actor fields (type, id, user, key, session). */
export type ActorInit = NonNullable<EventInit['actor']>;

export interface CreateEventInput {
  /** Producing service, e.g. "auth". */
  source: string;
  tenantId: string;
  actor?: ActorInit;
  /** "<object>.<verb in past tense>", e.g. "api_key.revoked". */
  action: string;
  outcome?: Outcome;
  payload: EventPayloadInit;
  /** Context whose trace the event joins; defaults to the active context. */
  context?: Context;
}

/**
 * Creates a valid event with a fresh UUIDv7 id, the current time and the
 * W3C trace context of `input.context` (the active one by default), taken
 * through the globally registered OpenTelemetry propagator.
 * Throws InvalidEventError when a required field is empty.
 */
export function createEvent(input: CreateEventInput): Event {
  const event = create(EventSchema, {
    id: newEventId(),
    time: timestampNow(),
    source: input.source,
    tenantId: input.tenantId,
    actor: input.actor,
    action: input.action,
    outcome: input.outcome,
    trace: currentTrace(input.context ?? otelContext.active()),
    payload: input.payload,
  });
  assertValidEvent(event);
  return event;
}

function currentTrace(ctx: Context): EventInit['trace'] {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const traceparent = carrier['traceparent'];
  if (traceparent === undefined) return undefined;
  return { traceparent, tracestate: carrier['tracestate'] ?? '' };
}
