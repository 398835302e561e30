import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedEventBus } from '../../../src/events/embedded/embedded-event-bus.js';
import { UnknownTopicError } from '../../../src/events/embedded/log-directory.js';
import { partitionForKey } from '../../../src/events/partitioner.js';
import type { ConsumedEvent, EventBus } from '../../../src/events/ports.js';
import { bytes, EventCollector, text, waitUntil } from './event-collector.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const redelivery = { initialDelayMs: 50, maxDelayMs: 400 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let dataDir: string;
let bus: EventBus;
const open = async (): Promise<EventBus> => (bus = await EmbeddedEventBus.open({ dataDir, logger, redelivery }));

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aegis-embedded-bus-'));
  await open();
  await bus.ensureTopics([{ topic: 'audit', partitions: 4 }]);
});
afterEach(async () => {
  await bus.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function publishValues(values: string[], key = 'tenant-1', topic = 'audit'): Promise<void> {
  await bus.producer().publish(values.map((v) => ({ topic, key, value: bytes(v) })));
}

describe('embedded event bus', () => {
  test('places each event on the partition its key hashes to and keeps per-key order', async () => {
    const keys = ['tenant-a', 'tenant-b', 'tenant-c', 'principal-7', 'principal-8'];
    const producer = bus.producer();
    for (let i = 0; i < 20; i++) {
      await Promise.all(keys.map((key) => producer.publish({ topic: 'audit', key, value: bytes(`${key}#${i}`) })));
    }
    const seen = new EventCollector();
    await bus.subscribe({ groupId: 'order', topics: ['audit'], fromBeginning: true, handleBatch: seen.handleBatch });
    await seen.waitFor(100);

    for (const event of seen.events) expect(event.partition).toBe(partitionForKey(event.key, 4));
    for (const key of keys) {
      const ofKey = seen.events.filter((e) => e.key === key).map((e) => text(e.value));
      expect(ofKey).toEqual(Array.from({ length: 20 }, (_, i) => `${key}#${i}`));
    }
    expect(new Set(seen.events.map((e) => e.partition)).size).toBeGreaterThan(1);
  });

  test('published events survive closing and reopening the bus', async () => {
    await publishValues(['a', 'b', 'c']);
    await bus.close();
    await open();
    const seen = new EventCollector();
    await bus.subscribe({ groupId: 'late', topics: ['audit'], fromBeginning: true, handleBatch: seen.handleBatch });
    expect(await seen.waitFor(3)).toEqual(['a', 'b', 'c']);
    expect(seen.events.map((e) => e.offset)).toEqual(['0', '1', '2']);
  });

  test('a restarted group resumes from its committed offset, which is on disk', async () => {
    await publishValues(['1', '2', '3']);
    const first = new EventCollector();
    const handle = await bus.subscribe({ groupId: 'billing', topics: ['audit'], fromBeginning: true, handleBatch: first.handleBatch });
    await first.waitFor(3);
    await handle.stop();
    await bus.close();

    const partition = String(partitionForKey('tenant-1', 4));
    const committed = JSON.parse(await readFile(join(dataDir, 'events', '_offsets', 'billing.json'), 'utf8'));
    expect(committed).toEqual({ audit: { [partition]: 3 } });

    await open();
    await publishValues(['4', '5']);
    const second = new EventCollector();
    await bus.subscribe({ groupId: 'billing', topics: ['audit'], fromBeginning: true, handleBatch: second.handleBatch });
    expect(await second.waitFor(2)).toEqual(['4', '5']);
    await sleep(100);
    expect(second.values).toEqual(['4', '5']);
  });

  test('a failing handler gets the same events again after a growing backoff, and nothing after them first', async () => {
    const attempts: Array<{ at: number; values: string[] }> = [];
    const handled: string[] = [];
    await bus.subscribe({
      groupId: 'flaky',
      topics: ['audit'],
      fromBeginning: true,
      handleBatch: async (events) => {
        attempts.push({ at: Date.now(), values: events.map((e) => text(e.value)) });
        if (attempts.length <= 2) throw new Error('downstream unavailable');
        handled.push(...events.map((e) => text(e.value)));
      },
    });
    await publishValues(['e0', 'e1', 'e2']);
    await waitUntil(() => handled.length === 3, 'the batch to succeed on the third attempt');

    expect(attempts.map((a) => a.values[0])).toEqual(['e0', 'e0', 'e0']);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(45);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(95);
    expect(handled).toEqual(['e0', 'e1', 'e2']);
  });

  test('every group sees every event', async () => {
    const audit = new EventCollector();
    const billing = new EventCollector();
    await bus.subscribe({ groupId: 'audit-writer', topics: ['audit'], handleBatch: audit.handleBatch });
    await bus.subscribe({ groupId: 'billing', topics: ['audit'], handleBatch: billing.handleBatch });
    await publishValues(['x', 'y']);
    expect(await audit.waitFor(2)).toEqual(['x', 'y']);
    expect(await billing.waitFor(2)).toEqual(['x', 'y']);
  });

  test('members of one group split the partitions, and a leaving member hands its partitions over', async () => {
    const one = new EventCollector();
    const two = new EventCollector();
    const first = await bus.subscribe({ groupId: 'workers', topics: ['audit'], handleBatch: one.handleBatch });
    await bus.subscribe({ groupId: 'workers', topics: ['audit'], handleBatch: two.handleBatch });

    const producer = bus.producer();
    await producer.publish(Array.from({ length: 40 }, (_, i) => ({ topic: 'audit', key: `tenant-${i}`, value: bytes(`v${i}`) })));
    await waitUntil(() => one.events.length + two.events.length === 40, '40 events across both members');

    const partitionsOf = (c: EventCollector): Set<number> => new Set(c.events.map((e) => e.partition));
    expect(one.events.length).toBeGreaterThan(0);
    expect(two.events.length).toBeGreaterThan(0);
    expect([...partitionsOf(one)].filter((p) => partitionsOf(two).has(p))).toEqual([]);
    expect(new Set([...one.values, ...two.values]).size).toBe(40);

    await first.stop();
    await producer.publish(Array.from({ length: 40 }, (_, i) => ({ topic: 'audit', key: `tenant-${i}`, value: bytes(`w${i}`) })));
    await waitUntil(() => two.values.filter((v) => v.startsWith('w')).length === 40, 'the remaining member to get every partition');
    expect(one.values.filter((v) => v.startsWith('w'))).toEqual([]);
  });

  test('a new group without fromBeginning starts at the end of the log', async () => {
    await publishValues(['old']);
    const seen = new EventCollector();
    await bus.subscribe({ groupId: 'fresh', topics: ['audit'], handleBatch: seen.handleBatch });
    await publishValues(['new']);
    expect(await seen.waitFor(1)).toEqual(['new']);
    await sleep(100);
    expect(seen.values).toEqual(['new']);
  });

  test('stop waits for the batch in progress and commits it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started: ConsumedEvent[] = [];
    const handle = await bus.subscribe({
      groupId: 'slow',
      topics: ['audit'],
      fromBeginning: true,
      handleBatch: async (events) => {
        started.push(...events);
        await gate;
      },
    });
    await publishValues(['only']);
    await waitUntil(() => started.length === 1, 'the handler to start');

    let stopped = false;
    const stopping = handle.stop().then(() => (stopped = true));
    await sleep(50);
    expect(stopped).toBe(false);
    release();
    await stopping;

    const again = new EventCollector();
    await bus.subscribe({ groupId: 'slow', topics: ['audit'], fromBeginning: true, handleBatch: again.handleBatch });
    await publishValues(['next']);
    expect(await again.waitFor(1)).toEqual(['next']);
  });

  test('a second bus on the same data directory is refused while the first is open', async () => {
    await expect(EmbeddedEventBus.open({ dataDir, logger })).rejects.toThrow(/single-process/);
  });

  test('a lock left behind by a process that died is taken over', async () => {
    await bus.close();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a pid whose process has exited
    await writeFile(join(dataDir, 'events', '.lock'), String(dead));
    await open();
    await publishValues(['after-crash']);
    const seen = new EventCollector();
    await bus.subscribe({ groupId: 'g', topics: ['audit'], fromBeginning: true, handleBatch: seen.handleBatch });
    expect(await seen.waitFor(1)).toEqual(['after-crash']);
  });

  test('publishing or subscribing to a topic that was never created fails', async () => {
    await expect(bus.producer().publish({ topic: 'nope', key: 'k', value: bytes('v') })).rejects.toBeInstanceOf(UnknownTopicError);
    await expect(bus.subscribe({ groupId: 'g', topics: ['nope'], handleBatch: async () => undefined })).rejects.toBeInstanceOf(
      UnknownTopicError,
    );
  });

  test('ensureTopics leaves an existing topic as it is', async () => {
    await bus.ensureTopics([{ topic: 'audit', partitions: 1 }]);
    await bus.producer().publish(Array.from({ length: 20 }, (_, i) => ({ topic: 'audit', key: `k${i}`, value: bytes('v') })));
    const seen = new EventCollector();
    await bus.subscribe({ groupId: 'p', topics: ['audit'], fromBeginning: true, handleBatch: seen.handleBatch });
    await seen.waitFor(20);
    expect(new Set(seen.events.map((e) => e.partition)).size).toBeGreaterThan(1);
  });
});
