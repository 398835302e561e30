// Where `aegis audit verify` reads from: a file of events, or the audit topic on Kafka.
import { readFile } from 'node:fs/promises';
import { Kafka, logLevel } from 'kafkajs';
import { decodeEvent, eventFromJson, type AuditRecord } from '@aegis/shared/audit-integrity';

/**
 * Canonical protobuf JSON, one event per line (as `aegis audit tail --json` or a SIEM export
 * writes it), or size-delimited binary Events (varint length + Event, as protobuf's
 * writeDelimitedTo). Sniffed from the first byte: "{" means JSON lines.
 */
export async function readEventFile(path: string): Promise<AuditRecord[]> {
  const bytes = await readFile(path);
  const firstByte = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (firstByte === 0x7b) {
    return bytes.toString('utf8').split('\n').flatMap((line, i): AuditRecord[] => {
      if (line.trim() === '') return [];
      const position = `line ${i + 1}`;
      try {
        return [{ event: eventFromJson(line), position }];
      } catch (err) {
        return [{ error: (err as Error).message, position }];
      }
    });
  }
  const out: AuditRecord[] = [];
  let at = 0;
  for (let n = 1; at < bytes.length; n++) {
    const position = `record ${n}`;
    const length = readVarint(bytes, at);
    if (length === undefined || length.next + length.value > bytes.length) {
      out.push({ error: 'size-delimited framing is broken (truncated or not size-delimited Events)', position });
      break;
    }
    const value = bytes.subarray(length.next, length.next + length.value);
    at = length.next + length.value;
    try {
      out.push({ event: decodeEvent(value), position });
    } catch (err) {
      out.push({ error: (err as Error).message, position });
    }
  }
  return out;
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < bytes.length && shift < 35; shift += 7, i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if ((bytes[i]! & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

export interface KafkaWindow {
  brokers: string[];
  topic: string;
  /** Start at this time (ms); absent: the oldest retained event. */
  sinceMs?: number;
  /** Stop before events appended after this time (ms). */
  untilMs?: number;
  /** Read at most this many messages. */
  maxEvents?: number;
  timeoutMs: number;
}

/**
 * Reads the topic from the start (or `sinceMs`) up to the end offsets it had when the read
 * began, partition by partition in offset order. A throwaway consumer group that never commits.
 */
export async function readKafkaTopic(window: KafkaWindow): Promise<AuditRecord[]> {
  const kafka = new Kafka({ clientId: 'aegis-audit-verify', brokers: window.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  let starts: Map<number, string>;
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(window.topic);
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const from = window.sinceMs !== undefined ? await admin.fetchTopicOffsetsByTimestamp(window.topic, window.sinceMs) : offsets.map((o) => ({ partition: o.partition, offset: o.low }));
    starts = new Map(from.map((o) => [o.partition, o.offset]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([p, end]) => BigInt(starts.get(p) ?? '0') < end).map(([p]) => p));
  const records: AuditRecord[] = [];
  if (pending.size === 0) return records;

  const consumer = kafka.consumer({ groupId: `aegis-audit-verify-${process.pid}-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: window.topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${window.timeoutMs} ms reading ${window.topic}`)), window.timeoutMs);
      const done = (): void => { clearTimeout(timer); resolve(); };
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (!pending.has(partition)) return;
          const end = ends.get(partition)!;
          const offset = BigInt(message.offset);
          const full = window.maxEvents !== undefined && records.length >= window.maxEvents;
          const late = window.untilMs !== undefined && Number(message.timestamp) > window.untilMs;
          if (offset < end && !full && !late) {
            const position = `partition ${partition} offset ${message.offset}`;
            try {
              records.push({ event: decodeEvent(message.value ?? new Uint8Array(0)), position });
            } catch (err) {
              records.push({ error: (err as Error).message, position });
            }
          }
          if (offset >= end - 1n || full || late) pending.delete(partition);
          if (pending.size === 0) done();
        },
      }).catch(reject);
      for (const [partition, offset] of starts) consumer.seek({ topic: window.topic, partition, offset });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

