import { create } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { AuditEventSchema } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { ChainViolationKind } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { AuditChains, generateSigningKey, verifyAuditLog } from '@aegis/shared/audit-integrity';
import { createEvent, encodeEvent, toConnectError, type ConsumedEvent } from '@aegis/shared';
import { sortBatch } from '../../src/adapters/events/audit-consumer.js';
import { verifyResponseOf } from '../../src/domain/chain-report.js';
import { KAIZEN_RETENTION } from '../../src/domain/retention.js';
import { decodePageToken, encodePageToken } from '../../src/domain/page-token.js';

const consumed = (value: Uint8Array, offset: number): ConsumedEvent => ({ topic: 'aegis.audit.v1', key: 'acme', value, headers: {}, partition: 0, offset: String(offset), timestamp: 0 });

function audit(tenantId = 'acme', classification = DataClassification.CONFIDENTIAL) {
  return createEvent({
    source: 'policy', tenantId, actor: { type: PrincipalType.API_KEY, id: 'key-1', userId: 'u-1' }, action: 'policy.decision',
    payload: { case: 'audit', value: create(AuditEventSchema, { user: { userId: 'u-2' }, classification }) },
  });
}

test('a batch becomes rows (columns from the envelope, bytes as received) and parked messages, in offset order', () => {
  const event = audit();
  event.time = timestampFromMs(Date.parse('2026-01-30T10:30:00.123456Z'));
  const usage = createEvent({ source: 'gateway', tenantId: 'acme', action: 'usage.recorded', payload: { case: 'usage', value: { tenantId: 'acme', provider: 'openai', model: 'gpt-4' } } });
  const storedAt = new Date('2026-01-30T10:31:00Z');
  const { rows, parked } = sortBatch([consumed(encodeEvent(event), 1), consumed(new Uint8Array([1, 2, 3]), 2), consumed(encodeEvent(usage), 3)], KAIZEN_RETENTION, storedAt);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    eventId: event.id, tenantId: 'acme', kind: 'event', source: 'policy', action: 'policy.decision', actorId: 'key-1', actorUserId: 'u-1', subjectUserId: 'u-2',
    classification: DataClassification.CONFIDENTIAL, eventTimeUs: 1_769_769_000_123_000n, expiresAt: new Date('2033-01-30T10:30:00.123Z'),
  });
  expect(rows[0]!.body).toEqual(encodeEvent(event));
  expect(parked.map((p) => [p.offset, p.reason])).toEqual([
    ['2', expect.stringContaining('not a valid aegis.events.v1 envelope')],
    ['3', expect.stringContaining('usage payload, which does not belong on the audit topic')],
  ]);
});

test('checkpoints are stored as records of their chain, kept as long as the longest retention', async () => {
  const sent: ReturnType<typeof audit>[] = [];
  const chains = new AuditChains(async (events) => void sent.push(...events), { signingKey: generateSigningKey().key, checkpointEvery: 1 });
  await chains.publish([audit()]);
  await chains.close();
  const checkpoint = sent.find((e) => e.payload.case === 'auditCheckpoint')!;
  const storedAt = new Date();
  const { rows } = sortBatch([consumed(encodeEvent(checkpoint), 1)], KAIZEN_RETENTION, storedAt);
  expect(rows[0]).toMatchObject({ kind: 'checkpoint', action: 'audit.checkpoint', producerId: chains.producerIdFor('policy'), sequence: 1n, classification: 0 });
  const made = new Date(timestampMs(checkpoint.time!));
  expect(rows[0]!.expiresAt.getUTCFullYear() - made.getUTCFullYear()).toBe(10);
});

test('the verifier\'s issues map onto the contract\'s violation kinds, per producer', async () => {
  const key = generateSigningKey().key;
  const sent: ReturnType<typeof audit>[] = [];
  const chains = new AuditChains(async (events) => void sent.push(...events), { signingKey: key, checkpointEvery: 100 });
  for (let i = 0; i < 3; i++) await chains.publish([audit()]);
  await chains.close();
  const records = sent.filter((_, i) => i !== 1).map((event, i) => ({ event, position: `r${i}` }));
  records.push({ error: 'garbage', position: 'r9' } as never);
  const response = verifyResponseOf(verifyAuditLog(records, new Map([[key.keyId, key.publicKey]])));
  expect(response.intact).toBe(false);
  const chain = response.chains.find((c) => c.producerId === chains.producerIdFor('policy'))!;
  expect(chain).toMatchObject({ firstSequence: 1n, lastSequence: 3n, verifiedCount: 2n });
  expect(chain.violations.map((v) => [v.kind, v.sequence])).toContainEqual([ChainViolationKind.MISSING, 2n]);
  const loose = response.chains.find((c) => c.producerId === '')!;
  expect(loose.violations.map((v) => v.kind)).toEqual([ChainViolationKind.ALTERED]);
});

test('page tokens are opaque, bound to their question, and refused otherwise', () => {
  const query = { tenantId: 'acme', actions: ['api_key.revoked'], userId: 'u-1' };
  const token = encodePageToken(query, false, { timeUs: 1_769_769_000_123_000n, position: 42n });
  expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(decodePageToken(token, { ...query }, false)).toEqual({ timeUs: 1_769_769_000_123_000n, position: 42n });
  const refused = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return toConnectError(err).code;
    }
    return undefined;
  };
  expect(refused(() => decodePageToken(token, { ...query, userId: 'u-2' }, false))).toBe(Code.InvalidArgument);
  expect(refused(() => decodePageToken(token, query, true))).toBe(Code.InvalidArgument);
  expect(refused(() => decodePageToken('not-a-token', query, false))).toBe(Code.InvalidArgument);
  expect(refused(() => decodePageToken(Buffer.from('{"v":1,"t":"x","p":"1","f":"a"}').toString('base64url'), query, false))).toBe(Code.InvalidArgument);
});
