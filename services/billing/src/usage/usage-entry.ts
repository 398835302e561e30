import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { UsageEventSchema } from '@aegis/proto/aegis/events/v1/usage_event_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, type ActorInit } from '@aegis/shared';
import { tokenProblem, type Tokens } from '@aegis/pricing';
import { tokensFromProto, tokensToProto } from '../money/proto-mapping.js';

/** One usage as the ledger books it (a UsageEvent plus its id). */
export interface UsageEntry {
  eventId: string;
  tenantId: string;
  userId: string;
  apiKeyId: string;
  provider: string;
  model: string;
  tokens: Tokens;
  requestId: string;
  occurTime: Date;
  estimated: boolean;
  reservationId: string;
  agentId: string;
}

export const USAGE_RECORDED = 'usage.recorded';

/** The UsageEvent envelope of an entry, as producers publish it on aegis.usage.v1. */
export function usageEvent(entry: UsageEntry, actor?: ActorInit): Event {
  const event = createEvent({
    source: 'billing',
    tenantId: entry.tenantId,
    action: USAGE_RECORDED,
    ...(actor !== undefined ? { actor } : {}),
    payload: {
      case: 'usage',
      value: create(UsageEventSchema, {
        tenantId: entry.tenantId, userId: entry.userId, apiKeyId: entry.apiKeyId, provider: entry.provider, model: entry.model,
        tokens: tokensToProto(entry.tokens), requestId: entry.requestId, occurTime: timestampFromDate(entry.occurTime),
        estimated: entry.estimated, reservationId: entry.reservationId, agentId: entry.agentId,
      }),
    },
  });
  if (entry.eventId !== '') event.id = entry.eventId;
  return event;
}

/** An envelope read from the topic as a ledger entry, or why it cannot be booked. */
export function entryFromEvent(event: Event): UsageEntry | { problem: string } {
  if (event.payload.case !== 'usage') return { problem: `payload is ${event.payload.case ?? 'empty'}, not usage` };
  const usage = event.payload.value;
  if (usage.tenantId !== event.tenantId) return { problem: 'usage.tenant_id differs from the envelope tenant_id' };
  if (usage.provider === '' || usage.model === '') return { problem: 'provider and model are required' };
  // Postgres text cannot hold NUL: such an event would fail its whole batch on every redelivery.
  const text = [event.id, usage.tenantId, usage.userId, usage.apiKeyId, usage.provider, usage.model, usage.requestId, usage.reservationId, usage.agentId];
  if (text.some((value) => value.includes('\u0000'))) return { problem: 'text fields must not contain NUL characters' };
  const tokens = tokensFromProto(usage.tokens);
  const problem = tokenProblem(tokens);
  if (problem !== undefined) return { problem: `${problem.field} ${problem.message}` };
  const occurTime = usage.occurTime !== undefined ? timestampDate(usage.occurTime) : event.time !== undefined ? timestampDate(event.time) : undefined;
  if (occurTime === undefined) return { problem: 'no occur_time and no event time' };
  return {
    eventId: event.id, tenantId: usage.tenantId, userId: usage.userId, apiKeyId: usage.apiKeyId,
    provider: usage.provider.toLowerCase(), model: usage.model, tokens, requestId: usage.requestId, occurTime,
    estimated: usage.estimated, reservationId: usage.reservationId, agentId: usage.agentId,
  };
}
