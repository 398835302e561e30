import { clone } from '@bufbuild/protobuf';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { auditEventHash, eventFromJson, eventToJson, generateSigningKey, parseTrustedKeys, signCheckpoint, verifyAuditLog } from '../../../src/audit-integrity/index.js';
import { buildLog, records, sequenceOf } from './audit-fixtures.js';

const kinds = (events: Event[], keys: Parameters<typeof verifyAuditLog>[1]) => verifyAuditLog(records(events), keys).issues.map((i) => i.kind);
const indexOfSequence = (events: Event[], s: bigint) => events.findIndex((e) => sequenceOf(e) === s);

describe('verifyAuditLog', () => {
  test('an untouched log verifies, fully signed', async () => {
    const log = await buildLog(12);
    const report = verifyAuditLog(records(log.events), log.keys);
    expect(report.issues).toEqual([]);
    expect(report).toMatchObject({ ok: true, events: 12, checkpoints: 3, unverifiedTail: 0 });
    expect(report.chains).toEqual([expect.objectContaining({ tenantId: 'acme', events: 12, firstSequence: 1, lastSequence: 12, signedSequence: 12 })]);
  });

  test('survives the JSON form (canonical protobuf JSON round trip)', async () => {
    const log = await buildLog(6);
    const viaJson = log.events.map((e) => eventFromJson(JSON.stringify(eventToJson(e))));
    expect(verifyAuditLog(records(viaJson), log.keys).issues).toEqual([]);
  });

  test('an altered event: hash mismatch', async () => {
    const log = await buildLog(8);
    const i = indexOfSequence(log.events, 4n);
    const altered = clone(EventSchema, log.events[i]!);
    if (altered.payload.case === 'audit') altered.payload.value.message = 'nothing happened';
    log.events[i] = altered;
    const report = verifyAuditLog(records(log.events), log.keys);
    expect(report.issues.map((x) => x.kind)).toEqual(['altered']);
    expect(report.issues[0]).toMatchObject({ sequence: 4, eventId: altered.id });
    expect(report.chains[0]!.signedSequence).toBe(0); // no checkpoint before sequence 4
  });

  test('an altered event whose hash was recomputed breaks the link to the next', async () => {
    const log = await buildLog(8);
    const i = indexOfSequence(log.events, 4n);
    const altered = clone(EventSchema, log.events[i]!);
    if (altered.payload.case !== 'audit') throw new Error('not audit');
    altered.payload.value.message = 'nothing happened';
    altered.payload.value.integrity!.hash = auditEventHash(altered);
    log.events[i] = altered;
    expect(kinds(log.events, log.keys)).toEqual(['broken_link']);
  });

  test('a whole rewritten chain is caught by the signed checkpoint', async () => {
    const log = await buildLog(5, 5);
    let prev: Uint8Array = new Uint8Array(32);
    const rewritten = log.events.map((e) => {
      if (e.payload.case !== 'audit') return e;
      const copy = clone(EventSchema, e) as Event & { payload: { case: 'audit' } };
      if (sequenceOf(copy) === 2n) copy.payload.value.message = 'rewritten';
      copy.payload.value.integrity!.prevHash = prev;
      copy.payload.value.integrity!.hash = auditEventHash(copy);
      prev = copy.payload.value.integrity!.hash;
      return copy;
    });
    expect(kinds(rewritten, log.keys)).toEqual(['checkpoint_mismatch']);
  });

  test('a dropped event: sequence gap', async () => {
    const log = await buildLog(8);
    log.events.splice(indexOfSequence(log.events, 3n), 1);
    const report = verifyAuditLog(records(log.events), log.keys);
    expect(report.issues.map((x) => x.kind)).toEqual(['missing']);
    expect(report.issues[0]).toMatchObject({ sequence: 3 });
  });

  test('a dropped first event', async () => {
    const log = await buildLog(3);
    log.events.splice(indexOfSequence(log.events, 1n), 1);
    expect(kinds(log.events, log.keys)).toEqual(['missing']);
    // A window that may start mid-chain does not count it.
    expect(verifyAuditLog(records(log.events), log.keys, { fromChainStart: false }).issues).toEqual([]);
  });

  test('two events swapped: reordered', async () => {
    const log = await buildLog(8);
    const a = indexOfSequence(log.events, 2n);
    const b = indexOfSequence(log.events, 3n);
    [log.events[a], log.events[b]] = [log.events[b]!, log.events[a]!];
    const report = verifyAuditLog(records(log.events), log.keys);
    expect(report.issues.map((x) => x.kind)).toEqual(['reordered']);
    expect(report.issues[0]).toMatchObject({ sequence: 2 });
  });

  test('a redelivered event (same id, same content) is not a violation; two ids on one sequence are', async () => {
    const log = await buildLog(4);
    const i = indexOfSequence(log.events, 2n);
    const redelivered = [...log.events.slice(0, i + 1), clone(EventSchema, log.events[i]!), ...log.events.slice(i + 1)];
    expect(kinds(redelivered, log.keys)).toEqual([]);
    const forked = clone(EventSchema, log.events[i]!);
    forked.id = '0190e7a0-0000-7000-8000-000000000099';
    if (forked.payload.case === 'audit') forked.payload.value.integrity!.hash = auditEventHash(forked);
    expect(kinds([...log.events.slice(0, i + 1), forked, ...log.events.slice(i + 1)], log.keys)).toContain('duplicated');
  });

  test('a forged checkpoint: bad signature, or a key that is not trusted', async () => {
    const log = await buildLog(5, 5);
    const i = log.events.findIndex((e) => e.payload.case === 'auditCheckpoint');
    const forged = clone(EventSchema, log.events[i]!);
    if (forged.payload.case === 'auditCheckpoint') {
      const signature = forged.payload.value.signature;
      signature[10] = (signature[10] ?? 0) ^ 0xff;
    }
    const withForged = log.events.map((e, j) => (j === i ? forged : e));
    const report = verifyAuditLog(records(withForged), log.keys);
    expect(report.issues.map((x) => x.kind)).toEqual(['bad_checkpoint']);
    expect(report.chains[0]!.signedSequence).toBe(0);

    const other = generateSigningKey().key;
    const selfSigned = clone(EventSchema, log.events[i]!);
    if (selfSigned.payload.case === 'auditCheckpoint') selfSigned.payload.value = signCheckpoint(selfSigned.payload.value, other);
    expect(kinds(log.events.map((e, j) => (j === i ? selfSigned : e)), log.keys)).toEqual(['bad_checkpoint']);
  });

  test('truncation after the last checkpoint: reported as an unverified tail, not hidden', async () => {
    const log = await buildLog(12, 5); // checkpoints at 5, 10, 12
    const lastCheckpoint = log.events.map((e) => e.payload.case).lastIndexOf('auditCheckpoint');
    const truncated = log.events.slice(0, lastCheckpoint).filter((e) => sequenceOf(e) !== 12n);
    const report = verifyAuditLog(records(truncated), log.keys);
    expect(report.ok).toBe(true);
    expect(report.chains[0]).toMatchObject({ lastSequence: 11, signedSequence: 10, unverifiedTail: 1 });
    expect(report.unverifiedTail).toBe(1);
  });

  test('truncation before a checkpoint: the signed events that are gone are missing', async () => {
    const log = await buildLog(12, 5);
    const truncated = log.events.filter((e) => { const s = sequenceOf(e); return s === undefined || s <= 8n; });
    const report = verifyAuditLog(records(truncated), log.keys);
    expect(report.issues.map((x) => x.kind)).toEqual(['missing']);
    expect(report.issues[0]!.message).toMatch(/signs sequence 1[02], but the events end at 8/);
  });

  test('unreadable records and audit events without integrity are reported', () => {
    const report = verifyAuditLog([{ position: 'line 1', error: 'not JSON' }], new Map());
    expect(report.issues.map((x) => x.kind)).toEqual(['unreadable']);
  });
});

describe('parseTrustedKeys', () => {
  test('base64 SPKI lines, comma lists and PEM blocks, keyed by key_id', () => {
    const a = generateSigningKey().key;
    const b = generateSigningKey().key;
    const pem = b.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keys = parseTrustedKeys(`# producers\n${a.publicKeyBase64}\n${pem}`);
    expect([...keys.keys()].sort()).toEqual([a.keyId, b.keyId].sort());
    expect(parseTrustedKeys(`${a.publicKeyBase64},${b.publicKeyBase64}`).size).toBe(2);
    expect(() => parseTrustedKeys('not-a-key')).toThrow('entry 1 is not a base64 SPKI DER public key');
  });
});
