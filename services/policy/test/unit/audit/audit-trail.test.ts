import { Registry } from 'prom-client';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createLogger } from '@aegis/shared';
import { AuditTrail, type AuditPublisher } from '../../../src/audit/index.js';
import { decide } from '../../../src/domain/index.js';
import { kaizenSet, request } from '../domain/fixtures.js';

const logger = createLogger({ service: 'audit-trail-test', level: 'silent' });
const subject = { type: PrincipalType.USER, id: 'u-1', userId: 'u-1' };
const allowed = request({ roles: ['ai_analyst'], action: 'create', resource: { kind: 'agent' } });
const denied = request({ roles: ['ai_analyst'], action: 'delete', resource: { kind: 'agent' } });
const set = kaizenSet();

class RecordingPublisher implements AuditPublisher {
  readonly events: Event[] = [];
  readonly calls: number[] = [];
  readonly waiting: Array<() => void> = [];
  hold = false;
  fail = false;
  publish(...events: Event[]): Promise<void> {
    if (this.fail) return Promise.reject(new Error('broker down'));
    this.calls.push(events.length);
    this.events.push(...events);
    return this.hold ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve();
  }
}

async function metric(registry: Registry, name: string, kind: string): Promise<number> {
  const values = (await registry.getSingleMetric(name)!.get()).values;
  return values.find((v) => v.labels['kind'] === kind)?.value ?? 0;
}

function trail(publisher: AuditPublisher, allowSampleRate: number, extra: { random?: () => number; maxInFlight?: number; registry?: Registry } = {}) {
  return new AuditTrail({ publisher, logger, allowSampleRate, ...extra });
}

test('denials are always recorded; allows at the sample rate', async () => {
  const publisher = new RecordingPublisher();
  // A fixed sequence: 0.05 is in a 10% sample, 0.5 and 0.95 are not.
  const draws = [0.05, 0.5, 0.95];
  const audit = trail(publisher, 0.1, { random: () => draws.shift() ?? 1 });
  for (let i = 0; i < 3; i += 1) audit.decision({ request: allowed, decision: decide(set, allowed), subject });
  audit.decision({ request: denied, decision: decide(set, denied), subject });
  await audit.flush();
  expect(publisher.events.map((e) => e.outcome)).toHaveLength(2);
  expect(publisher.events.map((e) => (e.payload.case === 'audit' ? e.payload.value.security?.accessGranted : undefined))).toEqual([true, false]);
});

test('rate 0 records no allow, rate 1 every allow', async () => {
  const none = new RecordingPublisher();
  const all = new RecordingPublisher();
  const never = trail(none, 0, { random: () => 0 });
  const always = trail(all, 1, { random: () => 0.999 });
  for (let i = 0; i < 5; i += 1) {
    never.decision({ request: allowed, decision: decide(set, allowed), subject });
    always.decision({ request: allowed, decision: decide(set, allowed), subject });
  }
  await Promise.all([never.flush(), always.flush()]);
  expect(none.events).toHaveLength(0);
  expect(all.events).toHaveLength(5);
});

test('a rate outside 0-1 is refused', () => {
  expect(() => trail(new RecordingPublisher(), 1.5)).toThrow(RangeError);
  expect(() => trail(new RecordingPublisher(), Number.NaN)).toThrow(RangeError);
});

test('a stalled bus does not block decisions: beyond the bound, events are dropped and counted', async () => {
  const publisher = new RecordingPublisher();
  publisher.hold = true;
  const registry = new Registry();
  const audit = trail(publisher, 0, { maxInFlight: 2, registry });
  for (let i = 0; i < 5; i += 1) audit.decision({ request: denied, decision: decide(set, denied), subject });
  expect(await metric(registry, 'aegis_policy_audit_events_dropped_total', 'decision')).toBe(3);
  await new Promise((resolve) => setImmediate(resolve));
  expect(publisher.events).toHaveLength(2);
  // While the bus holds that batch, the bound still counts it.
  audit.decision({ request: denied, decision: decide(set, denied), subject });
  expect(await metric(registry, 'aegis_policy_audit_events_dropped_total', 'decision')).toBe(4);
  publisher.waiting.forEach((resolve) => resolve());
  await audit.flush();
  expect(await metric(registry, 'aegis_policy_audit_events_total', 'decision')).toBe(2);
  // Room again once the bus caught up.
  publisher.hold = false;
  audit.decision({ request: denied, decision: decide(set, denied), subject });
  await audit.flush();
  expect(publisher.events).toHaveLength(3);
});

test('a failing bus is logged and counted, never thrown at the caller', async () => {
  const publisher = new RecordingPublisher();
  publisher.fail = true;
  const registry = new Registry();
  const audit = trail(publisher, 1, { registry });
  expect(() => audit.decision({ request: denied, decision: decide(set, denied), subject })).not.toThrow();
  await audit.flush();
  await expect(audit.change({ action: 'role.created', tenantId: 'acme', actor: subject, name: 'r', version: 1n, policyRevision: 4n })).resolves.toBeUndefined();
  expect(await metric(registry, 'aegis_policy_audit_events_dropped_total', 'decision')).toBe(1);
  expect(await metric(registry, 'aegis_policy_audit_events_dropped_total', 'change')).toBe(1);
});

test('the decisions of one turn go to the bus in one call; later ones wait for it and form the next batch', async () => {
  const publisher = new RecordingPublisher();
  publisher.hold = true;
  const audit = trail(publisher, 0);
  for (let i = 0; i < 100; i += 1) audit.decision({ request: denied, decision: decide(set, denied), subject });
  await new Promise((resolve) => setImmediate(resolve));
  expect(publisher.calls).toEqual([100]);
  for (let i = 0; i < 30; i += 1) audit.decision({ request: denied, decision: decide(set, denied), subject });
  await new Promise((resolve) => setImmediate(resolve));
  expect(publisher.calls).toEqual([100]);
  publisher.hold = false;
  publisher.waiting.forEach((resolve) => resolve());
  await audit.flush();
  expect(publisher.calls).toEqual([100, 30]);
  expect(publisher.events).toHaveLength(130);
});
