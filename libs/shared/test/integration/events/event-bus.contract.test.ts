// One suite, two implementations: whatever holds for Kafka must hold for the embedded log.

import { context, propagation, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { partitionForKey } from '../../../src/events/partitioner.js';
import type { EventBus, SubscriptionHandle } from '../../../src/events/ports.js';
import { createEventBus } from '../../../src/events/create-event-bus.js';
import { uniqueKafkaName } from '../../../src/testing/kafka.js';
import { bytes, EventCollector, text, waitUntil } from '../../unit/events/event-collector.js';
import { embeddedBackend, kafkaBackend, runPublisher } from './bus-backends.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'error' });
// Trace context needs a propagator and a context manager, as the telemetry module registers them.
// Registered globally too, so the bus's own batch spans (traceContext 'linked') are recorded.
const spans = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = provider.getTracer('event-bus-contract');
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

describe.each([embeddedBackend(logger), kafkaBackend(logger)])('event bus contract: $name', (backend) => {
  const topics: string[] = [];
  let bus: EventBus;
  let handles: SubscriptionHandle[] = [];

  async function newTopic(name: string, partitions: number): Promise<string> {
    const topic = uniqueKafkaName(`contract-${name}`);
    topics.push(topic);
    await bus.ensureTopics([{ topic, partitions, retentionMs: 3_600_000 }]);
    return topic;
  }
  async function consume(groupId: string, topic: string, collector: EventCollector): Promise<SubscriptionHandle> {
    const handle = await bus.subscribe({ groupId, topics: [topic], fromBeginning: true, handleBatch: collector.handleBatch });
    handles.push(handle);
    return handle;
  }

  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown(topics));
  beforeEach(async () => {
    bus = await backend.open();
  });
  afterEach(async () => {
    await Promise.all(handles.map((h) => h.stop()));
    handles = [];
    await bus?.close();
  });

  test('ping answers while the bus is open and fails once it is closed', async () => {
    await expect(bus.ping()).resolves.toBeUndefined();
    await bus.close();
    await expect(bus.ping()).rejects.toThrow();
  });

  test('an event arrives with its key, value, headers, offset and the key-hashed partition', async () => {
    const topic = await newTopic('roundtrip', 3);
    const seen = new EventCollector();
    await consume(uniqueKafkaName('g'), topic, seen);
    const before = Date.now();
    await bus.producer().publish({ topic, key: 'tenant-42', value: new Uint8Array([0, 1, 2, 255]), headers: { 'x-event-type': 'key.created' } });
    await seen.waitFor(1);

    const [event] = seen.events;
    expect(event).toMatchObject({ topic, key: 'tenant-42', partition: partitionForKey('tenant-42', 3), offset: '0' });
    expect(Array.from(event!.value)).toEqual([0, 1, 2, 255]);
    expect(event!.headers['x-event-type']).toBe('key.created');
    expect(event!.timestamp).toBeGreaterThanOrEqual(before - 5_000);
    expect(event!.timestamp).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  test('events with one key are consumed in publish order', async () => {
    const topic = await newTopic('order', 3);
    const keys = ['tenant-a', 'tenant-b', 'principal-c', 'principal-d'];
    const producer = bus.producer();
    for (let i = 0; i < 25; i++) {
      await Promise.all(keys.map((key) => producer.publish({ topic, key, value: bytes(`${key}#${i}`) })));
    }
    const seen = new EventCollector();
    await consume(uniqueKafkaName('g'), topic, seen);
    await seen.waitFor(100);
    for (const key of keys) {
      expect(seen.events.filter((e) => e.key === key).map((e) => text(e.value))).toEqual(
        Array.from({ length: 25 }, (_, i) => `${key}#${i}`),
      );
    }
  });

  test('offsets are committed only after handling: a consumer stopped after a failure loses nothing', async () => {
    const topic = await newTopic('commit', 2);
    const groupId = uniqueKafkaName('g');
    const producer = bus.producer();
    const handledFirst: string[] = [];
    let failures = 0;
    const first = await bus.subscribe({
      groupId,
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (events) => {
        const values = events.map((e) => text(e.value));
        if (values.includes('e5')) {
          failures += 1;
          throw new Error('store unavailable');
        }
        handledFirst.push(...values);
      },
    });
    await producer.publish(['e0', 'e1', 'e2', 'e3', 'e4'].map((v) => ({ topic, key: 'tenant-1', value: bytes(v) })));
    await waitUntil(() => handledFirst.length === 5, 'the first five events to be handled');
    await producer.publish(['e5', 'e6', 'e7', 'e8', 'e9'].map((v) => ({ topic, key: 'tenant-1', value: bytes(v) })));
    await waitUntil(() => failures > 0, 'the handler to fail');
    await first.stop();

    const second = new EventCollector();
    await consume(groupId, topic, second);
    await waitUntil(() => second.values.includes('e9'), 'the restarted consumer to reach e9');
    expect(handledFirst).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    // e0..e4 were committed once handled; e5 never was, so the restart begins exactly there.
    expect(second.values).toEqual(['e5', 'e6', 'e7', 'e8', 'e9']);
  });

  test('a failed batch is delivered again to the running consumer, and its partition waits for it', async () => {
    const topic = await newTopic('redeliver', 1);
    const attempts: string[][] = [];
    const handled: string[] = [];
    const handle = await bus.subscribe({
      groupId: uniqueKafkaName('g'),
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (events) => {
        const values = events.map((e) => text(e.value));
        attempts.push(values);
        if (values.includes('r1') && attempts.filter((a) => a.includes('r1')).length === 1) throw new Error('transient');
        handled.push(...values);
      },
    });
    handles.push(handle);
    const producer = bus.producer();
    await producer.publish({ topic, key: 'tenant-1', value: bytes('r0') });
    await waitUntil(() => handled.includes('r0'), 'r0 to be handled');
    await producer.publish(['r1', 'r2'].map((v) => ({ topic, key: 'tenant-1', value: bytes(v) })));
    await waitUntil(() => handled.includes('r2'), 'r2 to be handled after r1 was redelivered');

    expect(attempts.filter((a) => a.includes('r1'))).toHaveLength(2);
    expect(handled).toEqual(['r0', 'r1', 'r2']);
  });

  test('members of one group share the partitions', async () => {
    const topic = await newTopic('shared', 4);
    const groupId = uniqueKafkaName('g');
    const one = new EventCollector();
    const two = new EventCollector();
    await consume(groupId, topic, one);
    await consume(groupId, topic, two);

    // On Kafka the first member takes part in the rebalance a heartbeat later: publish in waves
    // until both members have been given partitions.
    const producer = bus.producer();
    const published = new Set<string>();
    for (let wave = 0; one.events.length === 0 || two.events.length === 0; wave++) {
      if (wave === 50) throw new Error('one member never received an event');
      const values = Array.from({ length: 8 }, (_, i) => `w${wave}-${i}`);
      values.forEach((v) => published.add(v));
      await producer.publish(values.map((v, i) => ({ topic, key: `tenant-${i}`, value: bytes(v) })));
      await new Promise((r) => setTimeout(r, 200));
    }
    const received = (): Set<string> => new Set([...one.values, ...two.values]);
    await waitUntil(() => received().size === published.size, 'every published event');
    expect([...received()].sort()).toEqual([...published].sort());
  });

  test('every consumer group receives every event', async () => {
    const topic = await newTopic('groups', 2);
    const audit = new EventCollector();
    const billing = new EventCollector();
    await consume(uniqueKafkaName('audit'), topic, audit);
    await consume(uniqueKafkaName('billing'), topic, billing);
    await bus.producer().publish(['a', 'b', 'c'].map((v, i) => ({ topic, key: `tenant-${i}`, value: bytes(v) })));
    expect((await audit.waitFor(3)).sort()).toEqual(['a', 'b', 'c']);
    expect((await billing.waitFor(3)).sort()).toEqual(['a', 'b', 'c']);
  });

  test('the handler runs inside the trace context of the publish that produced its events', async () => {
    const topic = await newTopic('trace', 1);
    const observed = new Map<string, SpanContext | undefined>();
    await bus.subscribe({
      groupId: uniqueKafkaName('g'),
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (events) => {
        for (const e of events) observed.set(text(e.value), trace.getSpanContext(context.active()));
      },
    }).then((h) => handles.push(h));

    const producer = bus.producer();
    const publishedIn = async (value: string): Promise<SpanContext> =>
      tracer.startActiveSpan(`publish ${value}`, async (span) => {
        await producer.publish({ topic, key: 'tenant-1', value: bytes(value) });
        span.end();
        return span.spanContext();
      });
    const first = await publishedIn('first');
    const second = await publishedIn('second');
    await producer.publish({ topic, key: 'tenant-1', value: bytes('untraced') });
    await waitUntil(() => observed.size === 3, 'three handled events');

    expect(observed.get('first')).toMatchObject({ traceId: first.traceId, spanId: first.spanId });
    expect(observed.get('second')).toMatchObject({ traceId: second.traceId, spanId: second.spanId });
    expect(second.traceId).not.toBe(first.traceId);
    expect(observed.get('untraced')).toBeUndefined();
  });

  test("traceContext 'linked': a batch mixing publishers' traces comes in one call, inside a span linked to each", async () => {
    const topic = await newTopic('linked', 1);
    const producer = bus.producer();
    const publishedIn = async (value: string): Promise<SpanContext> =>
      tracer.startActiveSpan(`publish ${value}`, async (span) => {
        await producer.publish({ topic, key: 'tenant-1', value: bytes(value) });
        span.end();
        return span.spanContext();
      });
    // All published before anyone consumes, so they are delivered as one batch.
    const published = [await publishedIn('a'), await publishedIn('b'), await publishedIn('c')];
    await producer.publish({ topic, key: 'tenant-1', value: bytes('untraced') });
    const calls: { values: string[]; active: SpanContext | undefined }[] = [];
    await bus.subscribe({
      groupId: uniqueKafkaName('g'),
      topics: [topic],
      fromBeginning: true,
      traceContext: 'linked',
      handleBatch: async (events) => {
        calls.push({ values: events.map((e) => text(e.value)), active: trace.getSpanContext(context.active()) });
      },
    }).then((h) => handles.push(h));
    await waitUntil(() => calls.flatMap((c) => c.values).length === 4, 'four handled events');

    expect(calls.map((c) => c.values)).toEqual([['a', 'b', 'c', 'untraced']]);
    // The call ran in a new trace of its own, linked to the three publishers.
    const batchSpan = spans.getFinishedSpans().find((s) => s.spanContext().spanId === calls[0]!.active?.spanId);
    expect(batchSpan?.name).toBe(`${topic} process`);
    expect(published.map((p) => p.traceId)).not.toContain(batchSpan!.spanContext().traceId);
    expect(batchSpan!.links.map((l) => l.context.spanId)).toEqual(published.map((p) => p.spanId));
  });

  test('an event published by another process is consumed', async () => {
    const topic = await newTopic('cross-process', 2);
    const groupId = uniqueKafkaName('g');
    const seen = new EventCollector();
    if (backend.singleProcess) {
      await bus.close(); // the child needs the log to itself; reopened below
    } else {
      await consume(groupId, topic, seen);
    }

    const childPid = await runPublisher({ ...backend.childEnv(), EVENTS_TOPIC: topic, EVENTS_KEY: 'tenant-9', EVENTS_COUNT: '3' });

    if (backend.singleProcess) {
      bus = await backend.open();
      await consume(groupId, topic, seen);
    }
    expect(await seen.waitFor(3)).toEqual(['child-0', 'child-1', 'child-2']);
    expect(childPid).not.toBe(process.pid);
    for (const e of seen.events) expect(e.headers['x-origin-pid']).toBe(String(childPid));
  });
});

test('a Kafka bus pointed at a broker that is not there fails its ping quickly, for health probes', async () => {
  const bus = await createEventBus({ kafkaBrokers: ['127.0.0.1:1'], clientId: 'ping-probe', dataDir: '', logger });
  try {
    const started = Date.now();
    await expect(bus.ping()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    await bus.close();
  }
});
