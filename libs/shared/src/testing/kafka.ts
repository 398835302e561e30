// Integration tests talk to a real Kafka broker. This finds it, and fails with instructions
// rather than letting each test time out on its own.

import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';

export const DEFAULT_KAFKA_BROKERS = ['127.0.0.1:9092'];

/** Brokers from `KAFKA_BROKERS` (comma-separated `host:port`), else the local test broker. */
export function kafkaBrokers(): string[] {
  const fromEnv = process.env.KAFKA_BROKERS?.split(',').map((b) => b.trim()).filter((b) => b.length > 0);
  return fromEnv && fromEnv.length > 0 ? fromEnv : [...DEFAULT_KAFKA_BROKERS];
}

/** The broker list, once a broker accepts connections and answers a metadata request. */
export async function requireKafka(): Promise<string[]> {
  const brokers = kafkaBrokers();
  const hint = `Kafka is not reachable at ${brokers.join(',')} (set KAFKA_BROKERS to override). Start the local backends with: bash scripts/backends/up.sh`;
  const reachable = await Promise.all(brokers.map((b) => acceptsConnections(b)));
  if (!reachable.some(Boolean)) throw new Error(hint);

  const admin = new Kafka({ clientId: 'aegis-test-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new Error(`${hint} (${(err as Error).message})`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return brokers;
}

/** `prefix` plus a random suffix, for topic names and group ids no other test run shares. */
export function uniqueKafkaName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Deletes test topics; missing topics are not an error. */
export async function deleteKafkaTopics(brokers: string[], topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Kafka({ clientId: 'aegis-test-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } finally {
    await admin.disconnect();
  }
}

function acceptsConnections(broker: string, timeoutMs = 2_000): Promise<boolean> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(broker.slice(at + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
