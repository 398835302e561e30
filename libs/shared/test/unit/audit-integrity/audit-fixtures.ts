// Audit events and logs for the audit-integrity tests.
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { AuditChains, generateSigningKey, type AuditRecord, type AuditSigningKey, type TrustedKeys } from '../../../src/audit-integrity/index.js';
import { createEvent } from '../../../src/envelope/index.js';

export function auditEvent(n: number, tenantId = 'acme', source = 'auth'): Event {
  return createEvent({
    source,
    tenantId,
    action: 'api_key.created',
    payload: { case: 'audit', value: { message: `API key ${n} created`, details: [{ key: 'n', value: String(n) }] } },
  });
}

export function usageEvent(tenantId = 'acme'): Event {
  return createEvent({
    source: 'billing', tenantId, action: 'usage.recorded',
    payload: { case: 'usage', value: { tenantId, provider: 'openai', model: 'gpt-4o' } },
  });
}

export interface Log {
  events: Event[];
  key: AuditSigningKey;
  keys: TrustedKeys;
}

/** `count` audit events of one tenant through AuditChains, checkpointed every `every`, closed (final checkpoint). */
export async function buildLog(count: number, every = 5): Promise<Log> {
  const { key } = generateSigningKey();
  const events: Event[] = [];
  const chains = new AuditChains(async (batch) => void events.push(...batch), { signingKey: key, checkpointEvery: every, checkpointIntervalMs: 60_000 });
  for (let i = 1; i <= count; i++) await chains.publish([auditEvent(i)]);
  await chains.close();
  return { events, key, keys: new Map([[key.keyId, key.publicKey]]) };
}

export function records(events: readonly Event[]): AuditRecord[] {
  return events.map((event, i) => ({ event, position: `record ${i + 1}` }));
}

export function sequenceOf(event: Event): bigint | undefined {
  return event.payload.case === 'audit' ? event.payload.value.integrity?.sequence : undefined;
}
