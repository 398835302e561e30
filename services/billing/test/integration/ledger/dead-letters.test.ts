// Rejected usage on both backends: undecodable bytes, a model without a price and impossible
// token counts are parked in usage_rejected and republished on aegis.usage.v1.dlq (here
// `<test topic>.dlq`) with their key, bytes and headers plus the aegis-dlq-* headers, while
// the valid events around them (same key, same partition) are booked exactly. A DLQ that
// cannot be written holds nothing up: the rows wait and go out at the next flush; in normal
// running the consumer starts that flush itself.
import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { DEAD_LETTER_HEADERS, deadLetterOrigin, deadLetterTopic, encodeEvent, newEventId, type ConsumedEvent, type EventMessage, type SqlDatabase } from '@aegis/shared';
import { BudgetStore } from '../../../src/budgets/budget-store.js';
import { UTC_ZONES } from '../../../src/periods/tenant-zones.js';
import { PriceStore } from '../../../src/prices/price-store.js';
import { ensureUsageDeadLetterTopic, usageDeadLetters } from '../../../src/usage/dead-letters.js';
import { startLedgerConsumer } from '../../../src/usage/ledger-consumer.js';
import { LedgerWriter } from '../../../src/usage/ledger-writer.js';
import { ledgerTotals, usageWorkload } from '../../support/usage-workload.js';
import { ledgerBackend, logger, seedPrices } from './ledger-harness.js';

const KEY = (tenantId: string) => `${tenantId}/u-poison`;

function usageMessage(topic: string, tenantId: string, model: string, tokens: { promptTokens: bigint; cachedPromptTokens?: bigint }): EventMessage {
  const event = create(EventSchema, {
    id: newEventId(), time: timestampFromDate(new Date()), source: 'gateway', tenantId, action: 'usage.recorded',
    payload: { case: 'usage', value: { tenantId, userId: 'u-poison', apiKeyId: 'k', provider: 'openai', model, tokens, requestId: 'r', occurTime: timestampFromDate(new Date()) } },
  });
  return { topic, key: KEY(tenantId), value: encodeEvent(event), headers: { 'x-producer': 'dlq-test' } };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function pendingDeadLetters(db: SqlDatabase, tenantId: string): Promise<number> {
  const result = await db.query<{ n: string }>(`SELECT count(*)::text n FROM usage_rejected WHERE dead_lettered_at IS NULL AND (tenant_id = $1 OR tenant_id = '')`, [tenantId]);
  return Number(result.rows[0]!.n);
}

describe.each(['real', 'embedded'] as const)('rejected usage is dead-lettered (%s)', (kind) => {
  test('poison messages go to <topic>.dlq whole; the valid events around them are booked', async () => {
    const backend = await ledgerBackend(kind);
    const tenantId = `dlq-${randomBytes(4).toString('hex')}`;
    const db = await backend.openDb();
    const bus = await backend.openBus();
    const handles: { stop(): Promise<void> }[] = [];
    try {
      await seedPrices(db, tenantId);
      await bus.ensureTopics([{ topic: backend.topic, partitions: 3 }]);
      await ensureUsageDeadLetterTopic(bus, backend.topic);
      const groupId = `${backend.topic}-ledger`;
      const writer = new LedgerWriter({ db, prices: new PriceStore(db), budgets: new BudgetStore(db), zones: UTC_ZONES, platformTenantId: 'default', logger });
      // First a dead-letter producer that cannot publish (closed): the outage case.
      const brokenProducer = bus.producer();
      await brokenProducer.close();
      const outage = usageDeadLetters({ db, producer: brokenProducer, groupId, logger });
      handles.push(await startLedgerConsumer({ bus, writer, topic: backend.topic, groupId, fromBeginning: true, batchSize: 100, partitionsConcurrently: 4, logger, deadLetters: outage }));

      const chunks = [...usageWorkload(300, tenantId, backend.topic, 11, 100)];
      const reference = chunks[chunks.length - 1]!.reference;
      const poison: EventMessage[] = [
        { topic: backend.topic, key: KEY(tenantId), value: new Uint8Array([0x0a, 0xff, 0x01, 0x02]), headers: { 'x-producer': 'dlq-test' } },
        usageMessage(backend.topic, tenantId, 'no-such-model', { promptTokens: 10n }),
        usageMessage(backend.topic, tenantId, 'gpt-4o', { promptTokens: 10n, cachedPromptTokens: 11n }),
      ];
      const producer = bus.producer();
      // Valid events before and after the poison, the poison itself on one key (one partition).
      await producer.publish(chunks[0]!.messages);
      await producer.publish(poison);
      await producer.publish([...chunks[1]!.messages, ...chunks[2]!.messages]);

      // Every valid event is booked although the DLQ is down: the partition was never held.
      await waitFor('the valid events', async () => ((await ledgerTotals(db, tenantId)).events === BigInt(reference.events) ? true : undefined));
      await waitFor('the three parked rows', async () => ((await pendingDeadLetters(db, tenantId)) === 3 ? true : undefined));

      // The DLQ is back: the next flush publishes what waited.
      const deadLetters = usageDeadLetters({ db, producer, groupId, logger });
      expect(await deadLetters.flush()).toBe(3);
      expect(await pendingDeadLetters(db, tenantId)).toBe(0);

      const letters: ConsumedEvent[] = [];
      handles.push(await bus.subscribe({
        groupId: `${backend.topic}-dlq-reader`, topics: [deadLetterTopic(backend.topic)], fromBeginning: true,
        handleBatch: async (events) => {
          letters.push(...events);
        },
      }));
      await waitFor('three dead letters', async () => (letters.length >= 3 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more arrives
      expect(letters).toHaveLength(3);
      const byOffset = [...letters].sort((a, b) => Number(deadLetterOrigin(a.headers)!.offset) - Number(deadLetterOrigin(b.headers)!.offset));
      for (const [i, letter] of byOffset.entries()) {
        expect(letter.key).toBe(KEY(tenantId));
        expect(Buffer.from(letter.value).equals(Buffer.from(poison[i]!.value))).toBe(true);
        expect(letter.headers['x-producer']).toBe('dlq-test');
        expect(letter.headers[DEAD_LETTER_HEADERS.sourceTopic]).toBe(backend.topic);
        expect(letter.headers[DEAD_LETTER_HEADERS.consumerGroup]).toBe(groupId);
      }
      const reasons = byOffset.map((l) => l.headers[DEAD_LETTER_HEADERS.reason]);
      expect(reasons[0]).toMatch(/not a valid aegis.events.v1 envelope/);
      expect(reasons[1]).toMatch(/no price for openai\/no-such-model/);
      expect(reasons[2]).toMatch(/cached_prompt_tokens/);
      // The three came from one partition, at increasing offsets.
      expect(new Set(byOffset.map((l) => deadLetterOrigin(l.headers)!.partition)).size).toBe(1);

      // In normal running the consumer kicks the flush itself after a booking that parked something.
      await handles.shift()!.stop();
      handles.push(await startLedgerConsumer({ bus, writer, topic: backend.topic, groupId, fromBeginning: true, batchSize: 100, partitionsConcurrently: 4, logger, deadLetters }));
      const late = usageMessage(backend.topic, tenantId, 'another-unknown-model', { promptTokens: 1n });
      await producer.publish(late);
      await waitFor('the fourth dead letter', async () => (letters.length >= 4 ? true : undefined));
      expect(Buffer.from(letters[3]!.value).equals(Buffer.from(late.value))).toBe(true);
      expect(letters[3]!.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/another-unknown-model/);
      await deadLetters.idle();
      expect(await pendingDeadLetters(db, tenantId)).toBe(0);

      const totals = await ledgerTotals(db, tenantId);
      expect(totals.events).toBe(BigInt(reference.events));
      expect(totals.costNanos).toBe(reference.costNanos);
      expect(totals.rollupCostNanos).toBe(reference.costNanos);
      await producer.close();
    } finally {
      for (const handle of handles) await handle.stop();
      await bus.close();
      await db.close();
      await backend.tearDown();
    }
  }, 5 * 60_000);
});
