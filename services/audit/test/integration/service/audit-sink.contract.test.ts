// The audit sink on both backends (embedded: PGlite and the event log; real: Postgres and
// Kafka): events published by a real EventPublisher are stored once, queried by user, time
// and type, tailed (replay, then live), verified (and a tampered row detected), deleted when
// their retention ends, and only for callers holding audit:read / audit:verify.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { BadRequestSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { ChainViolationKind } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { EventSchema, Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { deadLetterOrigin, deadLetterTopic, encodeEvent, type ConsumedEvent } from '@aegis/shared';
import { uniqueKafkaName } from '@aegis/shared/testing';
import { auditEvent, DAY, MINUTE } from './audit-events.js';
import { BACKENDS, eventually, PLATFORM_TENANT, rejection, startAudit, uniqueTenant, type RunningAudit } from './audit-harness.js';

describe.each(BACKENDS)('audit sink (%s)', (_name, backend) => {
  let sink: RunningAudit;
  beforeAll(async () => {
    sink = await startAudit({ backend: backend() });
  }, 120_000);
  afterAll(async () => {
    await sink?.stop();
  });

  /** Every stored record of a tenant, oldest first. */
  async function stored(tenantId: string): Promise<Event[]> {
    const all: Event[] = [];
    let pageToken = '';
    do {
      const page = await sink.admin.queryAuditEvents({ tenantId, ascending: true, pageSize: 1000, pageToken });
      all.push(...page.events);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return all;
  }

  async function storedIds(tenantId: string, expected: number): Promise<string[]> {
    return eventually(async () => {
      const ids = (await stored(tenantId)).map((e) => e.id);
      return ids.length >= expected ? ids : undefined;
    }, 60_000, `${expected} records of ${tenantId}`);
  }

  const ids = (events: readonly Event[]) => events.map((e) => e.id);

  test('published events are stored and queryable by user, time, action, outcome, source and classification', async () => {
    const tenantId = uniqueTenant();
    const t = Date.now() - 10 * MINUTE;
    const e1 = auditEvent({ tenantId, userId: 'u-1', action: 'api_key.created', source: 'auth', timeMs: t - 3 * MINUTE });
    const e2 = auditEvent({ tenantId, userId: 'u-2', actorId: 'key-2', action: 'policy.decision', outcome: Outcome.DENIED, source: 'policy', classification: DataClassification.CONFIDENTIAL, timeMs: t - 2 * MINUTE });
    const e3 = auditEvent({ tenantId, userId: 'u-1', action: 'pii.detected', source: 'pii', classification: DataClassification.RESTRICTED, timeMs: t - MINUTE });
    const other = auditEvent({ tenantId: uniqueTenant(), userId: 'u-1', timeMs: t - MINUTE });
    await sink.publisher.publish(e1, e2);
    await sink.publisher.publish(e3, other);
    expect(await storedIds(tenantId, 3)).toEqual([e1.id, e2.id, e3.id]);

    const q = (filter: object, extra: object = {}) => sink.admin.queryAuditEvents({ tenantId, filter, ...extra }).then((r) => ids(r.events));
    // Newest first by default.
    expect(await q({})).toEqual([e3.id, e2.id, e1.id]);
    expect(await q({ userId: 'u-1' })).toEqual([e3.id, e1.id]);
    expect(await q({ actorId: 'key-2' })).toEqual([e2.id]);
    expect(await q({ actions: ['policy.decision', 'pii.detected'] }, { ascending: true })).toEqual([e2.id, e3.id]);
    expect(await q({ outcome: Outcome.DENIED })).toEqual([e2.id]);
    expect(await q({ source: 'pii' })).toEqual([e3.id]);
    expect(await q({ minClassification: DataClassification.CONFIDENTIAL })).toEqual([e3.id, e2.id]);
    expect(await q({}, { interval: { startTime: timestampFromMs(t - 2.5 * MINUTE), endTime: timestampFromMs(t - MINUTE) } })).toEqual([e2.id]);

    // The stored event is the published one, integrity fields included.
    const got = await sink.admin.getAuditEvent({ tenantId, eventId: e2.id });
    expect(toBinary(EventSchema, got.event!)).toEqual(toBinary(EventSchema, e2));
    expect(got.event!.payload.case === 'audit' && got.event!.payload.value.integrity?.sequence).toBeGreaterThan(0n);
    expect((await rejection(sink.admin.getAuditEvent({ tenantId, eventId: other.id }))).code).toBe(Code.NotFound);

    // Paging with opaque tokens, in both orders.
    const pages: string[][] = [];
    let pageToken = '';
    do {
      const page = await sink.admin.queryAuditEvents({ tenantId, ascending: true, pageSize: 2, pageToken });
      pages.push(ids(page.events));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(pages).toEqual([[e1.id, e2.id], [e3.id]]);
    const first = await sink.admin.queryAuditEvents({ tenantId, pageSize: 1 });
    const second = await sink.admin.queryAuditEvents({ tenantId, pageSize: 1, pageToken: first.nextPageToken });
    expect([...ids(first.events), ...ids(second.events)]).toEqual([e3.id, e2.id]);
    const foreign = await rejection(sink.admin.queryAuditEvents({ tenantId, pageSize: 1, pageToken: first.nextPageToken, filter: { userId: 'u-1' } }));
    expect(foreign.code).toBe(Code.InvalidArgument);
    expect(foreign.rawMessage).toContain('page_token');
  });

  test('a redelivered event is stored once; an undecodable message is dead-lettered and does not block its partition', async () => {
    const tenantId = uniqueTenant();
    const e1 = auditEvent({ tenantId });
    await sink.publisher.publish(e1);
    await storedIds(tenantId, 1);
    // At-least-once: the same message again, twice, then garbage, then a marker on the same key.
    const again = { topic: sink.topic, key: tenantId, value: encodeEvent(e1) };
    await sink.producer.publish([again, again]);
    await sink.producer.publish({ topic: sink.topic, key: tenantId, value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) });
    const marker = auditEvent({ tenantId, action: 'api_key.revoked' });
    await sink.publisher.publish(marker);
    expect(await storedIds(tenantId, 2)).toEqual([e1.id, marker.id]);
    const parked = await sink.db.query<{ n: string }>(`SELECT count(*) AS n FROM parked_messages WHERE topic = $1 AND message_key = $2`, [sink.topic, tenantId]);
    expect(Number(parked.rows[0]!.n)).toBe(1);
    // ... and republished on the dead-letter topic, unchanged, with why and where from.
    const letters: ConsumedEvent[] = [];
    const reader = await sink.events.subscribe({
      groupId: uniqueKafkaName('audit-dlq-reader'), topics: [deadLetterTopic(sink.topic)], fromBeginning: true,
      handleBatch: async (batch) => void letters.push(...batch.filter((m) => m.key === tenantId)),
    });
    try {
      const letter = await eventually(async () => letters[0], 60_000, 'the dead letter');
      expect([...letter.value]).toEqual([0xde, 0xad, 0xbe, 0xef]);
      expect(deadLetterOrigin(letter.headers)).toMatchObject({ topic: sink.topic, reason: expect.stringContaining('not a valid aegis.events.v1 envelope') });
    } finally {
      await reader.stop();
    }
    await eventually(async () => {
      const { rows } = await sink.db.query<{ n: string }>('SELECT count(*) AS n FROM parked_messages WHERE message_key = $1 AND dead_lettered_at IS NOT NULL', [tenantId]);
      return Number(rows[0]!.n) === 1 ? true : undefined;
    }, 30_000, 'the parked row marked dead-lettered');
  });

  test('TailAuditEvents replays from start_time, then streams new events as they are stored, filtered', async () => {
    const tenantId = uniqueTenant();
    const before = auditEvent({ tenantId, userId: 'u-tail' });
    await sink.publisher.publish(before);
    await storedIds(tenantId, 1);
    const abort = new AbortController();
    const all = sink.admin.tailAuditEvents({ tenantId, startTime: timestampFromMs(Date.now() - MINUTE) }, { signal: abort.signal })[Symbol.asyncIterator]();
    const onlyUser = sink.admin.tailAuditEvents({ tenantId, filter: { userId: 'u-tail' } }, { signal: abort.signal })[Symbol.asyncIterator]();
    try {
      expect((await all.next()).value.event.id).toBe(before.id);
      const someoneElse = auditEvent({ tenantId, userId: 'u-other' });
      const live = auditEvent({ tenantId, userId: 'u-tail', action: 'api_key.rotated' });
      await sink.publisher.publish(someoneElse);
      await sink.publisher.publish(live);
      expect((await all.next()).value.event.id).toBe(someoneElse.id);
      expect((await all.next()).value.event.id).toBe(live.id);
      // The filtered, live-only tail skips the replay and the other user.
      expect((await onlyUser.next()).value.event.id).toBe(live.id);
    } finally {
      abort.abort();
    }
  });

  test('VerifyAuditChain reports intact chains with their signed sequence, and detects a tampered stored row', async () => {
    const tenantId = uniqueTenant();
    const publisher = sink.publisherWith({ checkpointEvery: 2 });
    const events = Array.from({ length: 5 }, (_, i) => auditEvent({ tenantId, message: `event ${i + 1}` }));
    for (const event of events) await publisher.publish(event);
    // Five events and the checkpoints after 2 and 4.
    await storedIds(tenantId, 7);
    const intact = await sink.admin.verifyAuditChain({ tenantId });
    expect(intact.intact).toBe(true);
    expect(intact.chains).toHaveLength(1);
    expect(intact.chains[0]).toMatchObject({ producerId: publisher.auditProducerId('auth'), firstSequence: 1n, lastSequence: 5n, verifiedCount: 5n, signedSequence: 4n, violations: [] });

    // Someone with database access rewrites the message of the third event.
    const victim = events[2]!;
    const row = await sink.db.query<{ body: Uint8Array }>('SELECT body FROM audit_records WHERE event_id = $1', [victim.id]);
    const tampered = fromBinary(EventSchema, row.rows[0]!.body);
    if (tampered.payload.case !== 'audit') throw new Error('not an audit event');
    tampered.payload.value.message = 'nothing to see here';
    await sink.db.query('UPDATE audit_records SET body = $1 WHERE event_id = $2', [toBinary(EventSchema, tampered), victim.id]);
    const report = await sink.admin.verifyAuditChain({ tenantId });
    expect(report.intact).toBe(false);
    expect(report.chains[0]!.violations).toContainEqual(expect.objectContaining({ kind: ChainViolationKind.ALTERED, sequence: 3n, eventId: victim.id }));
    // Nothing proven beyond the first problem.
    expect(report.chains[0]!.signedSequence).toBe(2n);

    // And a deleted row is a gap.
    await sink.db.query('DELETE FROM audit_records WHERE event_id = $1', [events[1]!.id]);
    const gap = await sink.admin.verifyAuditChain({ tenantId, producerId: publisher.auditProducerId('auth') });
    expect(gap.chains[0]!.violations).toContainEqual(expect.objectContaining({ kind: ChainViolationKind.MISSING, sequence: 2n }));
  });

  test('retention by classification: the sweeper deletes expired records only, by the sink\'s clock', async () => {
    const tenantId = uniqueTenant();
    const now = sink.clock.now();
    const publicOld = auditEvent({ tenantId, classification: DataClassification.PUBLIC, timeMs: now - 400 * DAY });
    const publicNew = auditEvent({ tenantId, classification: DataClassification.PUBLIC, timeMs: now - DAY });
    const unclassifiedOld = auditEvent({ tenantId, classification: DataClassification.UNSPECIFIED, timeMs: now - 4 * 366 * DAY });
    const confidential = auditEvent({ tenantId, classification: DataClassification.CONFIDENTIAL, timeMs: now - 4 * 366 * DAY });
    const restricted = auditEvent({ tenantId, classification: DataClassification.RESTRICTED, timeMs: now - 8 * 366 * DAY });
    await sink.publisher.publish(publicOld, publicNew, unclassifiedOld, confidential, restricted);
    const marker = auditEvent({ tenantId, classification: DataClassification.PUBLIC });
    await sink.publisher.publish(marker);
    // The marker was stored after the others (one partition, in order); the sweeper runs every 100 ms.
    const kept = await eventually(async () => {
      const present = ids(await stored(tenantId));
      return present.includes(marker.id) && !present.includes(publicOld.id) && !present.includes(unclassifiedOld.id) ? present : undefined;
    }, 60_000, 'the expired records to be swept');
    expect(new Set(kept)).toEqual(new Set([publicNew.id, confidential.id, restricted.id, marker.id]));

    // A year and a day later, the public records have gone too; the others stay.
    sink.clock.advance(366 * DAY);
    const later = await eventually(async () => {
      const present = ids(await stored(tenantId));
      return present.includes(publicNew.id) || present.includes(marker.id) ? undefined : present;
    }, 60_000, 'the public records to expire');
    expect(new Set(later)).toEqual(new Set([confidential.id, restricted.id]));
    sink.clock.advance(-366 * DAY);
  });

  test('callers need audit:read / audit:verify, and invalid input is InvalidArgument naming the field', async () => {
    const viewer = sink.clients(await sink.viewerKey());
    for (const call of [
      viewer.queryAuditEvents({ tenantId: PLATFORM_TENANT }),
      viewer.getAuditEvent({ tenantId: PLATFORM_TENANT, eventId: 'x' }),
      viewer.verifyAuditChain({ tenantId: PLATFORM_TENANT }),
    ]) {
      const denied = await rejection(call);
      expect(denied.code).toBe(Code.PermissionDenied);
    }
    const tail = await rejection((async () => {
      for await (const _ of viewer.tailAuditEvents({ tenantId: PLATFORM_TENANT })) break;
    })());
    expect(tail.code).toBe(Code.PermissionDenied);

    const invalid = async (call: Promise<unknown>, field: string) => {
      const err = await rejection(call);
      expect([err.code, err.rawMessage]).toEqual([Code.InvalidArgument, expect.stringContaining(field)]);
      // The field also travels as a BadRequest detail, for clients that map it to a form.
      expect(err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([field]);
    };
    await invalid(sink.admin.queryAuditEvents({ tenantId: 'Not A Tenant' }), 'tenant_id');
    await invalid(sink.admin.queryAuditEvents({ tenantId: PLATFORM_TENANT, pageSize: 5000 }), 'page_size');
    await invalid(sink.admin.queryAuditEvents({ tenantId: PLATFORM_TENANT, filter: { actions: ['DROP TABLE'] } }), 'filter.actions[0]');
    await invalid(sink.admin.queryAuditEvents({ tenantId: PLATFORM_TENANT, pageToken: 'garbage!' }), 'page_token');
    await invalid(sink.admin.queryAuditEvents({ tenantId: PLATFORM_TENANT, interval: { startTime: timestampFromMs(2000), endTime: timestampFromMs(1000) } }), 'interval.end_time');
    await invalid(sink.admin.getAuditEvent({ tenantId: PLATFORM_TENANT, eventId: '' }), 'event_id');
    await invalid(sink.admin.verifyAuditChain({ tenantId: PLATFORM_TENANT, interval: { startTime: timestampFromMs(2000), endTime: timestampFromMs(2000) } }), 'interval.end_time');
    await invalid((async () => {
      for await (const _ of sink.admin.tailAuditEvents({ tenantId: PLATFORM_TENANT, filter: { outcome: 99 as Outcome } })) break;
    })(), 'filter.outcome');
  });
});
