// The two implementations the contract suite runs against, and the publisher it runs in a
// separate process.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createEventBus } from '../../../src/events/create-event-bus.js';
import type { EventBus } from '../../../src/events/ports.js';
import { deleteKafkaTopics, requireKafka } from '../../../src/testing/kafka.js';

const publisherScript = fileURLToPath(new URL('./fixtures/publish-events.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

export interface Backend {
  name: string;
  setUp(): Promise<void>;
  open(): Promise<EventBus>;
  /** Environment telling the publisher script where the bus is. */
  childEnv(): Record<string, string>;
  /** The embedded log admits one process at a time: the test's bus must be closed meanwhile. */
  singleProcess: boolean;
  tearDown(topics: string[]): Promise<void>;
}

export function embeddedBackend(logger: Logger): Backend {
  let dataDir = '';
  return {
    name: 'embedded',
    singleProcess: true,
    async setUp() {
      dataDir = await mkdtemp(join(tmpdir(), 'aegis-contract-'));
    },
    open: () => createEventBus({ clientId: 'contract', dataDir, logger, redelivery: { initialDelayMs: 50, maxDelayMs: 500 } }),
    childEnv: () => ({ EVENTS_DATA_DIR: dataDir }),
    async tearDown() {
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function kafkaBackend(logger: Logger): Backend {
  let brokers: string[] = [];
  return {
    name: 'kafka',
    singleProcess: false,
    async setUp() {
      brokers = await requireKafka();
    },
    open: () => {
      if (brokers.length === 0) throw new Error('Kafka was not reached in setUp');
      return createEventBus({
        kafkaBrokers: brokers,
        clientId: 'contract',
        dataDir: '',
        logger,
        // The broker runs with group.initial.rebalance.delay.ms=0; these keep joins and leaves quick.
        consumerTimings: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 200, rebalanceTimeoutMs: 6_000, maxWaitTimeMs: 100 },
      });
    },
    childEnv: () => ({ EVENTS_KAFKA_BROKERS: brokers.join(',') }),
    async tearDown(topics) {
      if (brokers.length > 0) await deleteKafkaTopics(brokers, topics);
    },
  };
}

/** Runs the publisher script in a new Node process and resolves with its pid once it exits cleanly. */
export function runPublisher(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', publisherScript], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(child.pid!) : reject(new Error(`publisher exited with ${code}: ${stderr}`)),
    );
  });
}
