import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { AuditChains, auditEventHash, generateSigningKey, verifyAuditLog, ZERO_HASH } from '../../../src/audit-integrity/index.js';
import { auditEvent, records, sequenceOf, usageEvent } from './audit-fixtures.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function integrityOf(event: Event) {
  if (event.payload.case !== 'audit' || event.payload.value.integrity === undefined) throw new Error('not stamped');
  return event.payload.value.integrity;
}

describe('AuditChains stamping', () => {
  test('chains a tenant\'s audit events: sequence 1, 2, 3, each prev_hash the previous hash', async () => {
    const sent: Event[] = [];
    const chains = new AuditChains(async (batch) => void sent.push(...batch), { instanceId: 'i-1' });
    await chains.publish([auditEvent(1), auditEvent(2)]);
    await chains.publish([auditEvent(3)]);
    const integrity = sent.map(integrityOf);
    expect(integrity.map((i) => i.sequence)).toEqual([1n, 2n, 3n]);
    expect(integrity.map((i) => i.producerId)).toEqual(['auth/i-1', 'auth/i-1', 'auth/i-1']);
    expect(integrity[0]!.prevHash).toEqual(ZERO_HASH);
    expect(integrity[1]!.prevHash).toEqual(integrity[0]!.hash);
    expect(integrity[2]!.prevHash).toEqual(integrity[1]!.hash);
    for (const event of sent) expect(Buffer.from(auditEventHash(event))).toEqual(Buffer.from(integrityOf(event).hash));
  });

  test('one chain per tenant and per source; other payloads pass untouched', async () => {
    const sent: Event[] = [];
    const chains = new AuditChains(async (batch) => void sent.push(...batch));
    const usage = usageEvent();
    await chains.publish([auditEvent(1, 'acme'), auditEvent(2, 'globex'), usage, auditEvent(3, 'acme'), auditEvent(4, 'acme', 'policy')]);
    expect(sent.map(sequenceOf)).toEqual([1n, 1n, undefined, 2n, 1n]);
    expect(integrityOf(sent[4]!).producerId).toBe(chains.producerIdFor('policy'));
    expect(usage.payload.case).toBe('usage');
    expect(verifyAuditLog(records(sent), new Map()).ok).toBe(true);
  });

  test('concurrent publishes of one chain are serialised: never two sends in flight, log order = sequence order', async () => {
    const sent: Event[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const chains = new AuditChains(async (batch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await wait(Math.floor(Math.random() * 3));
      sent.push(...batch);
      inFlight--;
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => chains.publish([auditEvent(i)])));
    expect(maxInFlight).toBe(1);
    expect(sent.map(sequenceOf)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i + 1)));
    const report = verifyAuditLog(records(sent), new Map());
    expect(report.issues).toEqual([]);
  });

  test('different tenants publish concurrently', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const chains = new AuditChains(async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await wait(5);
      inFlight--;
    });
    await Promise.all([chains.publish([auditEvent(1, 'a')]), chains.publish([auditEvent(1, 'b')])]);
    expect(maxInFlight).toBe(2);
  });

  test('a failed send rolls the chain back: the retry reuses the sequence and the log has no gap', async () => {
    const sent: Event[] = [];
    let fail = false;
    const chains = new AuditChains(async (batch) => {
      if (fail) throw new Error('broker down');
      sent.push(...batch);
    });
    await chains.publish([auditEvent(1)]);
    fail = true;
    const second = auditEvent(2);
    await expect(chains.publish([second])).rejects.toThrow('broker down');
    fail = false;
    await chains.publish([second]);
    await chains.publish([auditEvent(3)]);
    expect(sent.map(sequenceOf)).toEqual([1n, 2n, 3n]);
    expect(verifyAuditLog(records(sent), new Map()).issues).toEqual([]);
  });
});

describe('AuditChains checkpoints', () => {
  const { key } = generateSigningKey();
  const keys = new Map([[key.keyId, key.publicKey]]);

  test('every N events, and a final one at close', async () => {
    const sent: Event[] = [];
    const chains = new AuditChains(async (batch) => void sent.push(...batch), { signingKey: key, checkpointEvery: 3, checkpointIntervalMs: 60_000 });
    for (let i = 1; i <= 7; i++) await chains.publish([auditEvent(i)]);
    const signed = () => sent.filter((e) => e.payload.case === 'auditCheckpoint').map((e) => (e.payload.value as { sequence: bigint }).sequence);
    expect(signed()).toEqual([3n, 6n]);
    await chains.close();
    expect(signed()).toEqual([3n, 6n, 7n]);
    const checkpoint = sent.find((e) => e.payload.case === 'auditCheckpoint')!;
    expect(checkpoint.action).toBe('audit.checkpoint');
    expect(checkpoint.tenantId).toBe('acme');
    const report = verifyAuditLog(records(sent), keys);
    expect(report.ok).toBe(true);
    expect(report.chains[0]).toMatchObject({ signedSequence: 7, unverifiedTail: 0 });
  });

  test('after the interval when fewer than N events arrived', async () => {
    const sent: Event[] = [];
    const chains = new AuditChains(async (batch) => void sent.push(...batch), { signingKey: key, checkpointEvery: 1000, checkpointIntervalMs: 30 });
    await chains.publish([auditEvent(1), auditEvent(2)]);
    const deadline = Date.now() + 5_000;
    while (!sent.some((e) => e.payload.case === 'auditCheckpoint') && Date.now() < deadline) await wait(10);
    const checkpoints = sent.filter((e) => e.payload.case === 'auditCheckpoint');
    expect(checkpoints).toHaveLength(1);
    expect((checkpoints[0]!.payload.value as { sequence: bigint }).sequence).toBe(2n);
    await chains.close();
    expect(sent.filter((e) => e.payload.case === 'auditCheckpoint')).toHaveLength(1); // nothing new to sign
  });

  test('without a signing key: chained, never checkpointed', async () => {
    const sent: Event[] = [];
    const chains = new AuditChains(async (batch) => void sent.push(...batch), { checkpointEvery: 1 });
    await chains.publish([auditEvent(1), auditEvent(2)]);
    await chains.close();
    expect(sent.every((e) => e.payload.case === 'audit')).toBe(true);
  });
});
