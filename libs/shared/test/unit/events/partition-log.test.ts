import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PartitionLog } from '../../../src/events/embedded/partition-log.js';
import { encodeRecord, type LogRecord } from '../../../src/events/embedded/record-codec.js';

const logger = pino({ level: 'silent' });
const record = (i: number): LogRecord => ({
  timestamp: 1_000 + i,
  key: `key-${i % 3}`,
  headers: { n: String(i) },
  value: new TextEncoder().encode(`event-${i}`),
});
const text = (value: Uint8Array): string => new TextDecoder().decode(value);

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aegis-partition-log-'));
  path = join(dir, '0.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(log: PartitionLog, fromOffset = 0): Promise<string[]> {
  const { records } = await log.read(await log.locate(fromOffset), 100_000, 64 * 1024 * 1024);
  return records.map((r) => `${r.offset}:${text(r.value)}`);
}

describe('PartitionLog', () => {
  test('assigns consecutive offsets in append order', async () => {
    const log = await PartitionLog.open(path, logger);
    expect(await log.append([record(0), record(1)])).toBe(0);
    expect(await log.append([record(2)])).toBe(2);
    expect(log.endOffset).toBe(3);
    expect(await readAll(log)).toEqual(['0:event-0', '1:event-1', '2:event-2']);
    const [first] = (await log.read(await log.locate(1), 1, 1024)).records;
    expect(first).toEqual({ ...record(1), offset: 1 });
    await log.close();
  });

  test('concurrent appends are serialised without losing or interleaving records', async () => {
    const log = await PartitionLog.open(path, logger);
    const firsts = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append([record(2 * i), record(2 * i + 1)])));
    expect([...firsts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    const all = await readAll(log);
    expect(all).toHaveLength(40);
    // each append's two records stay adjacent
    for (const first of firsts) {
      const n = Number(all[first]!.split('event-')[1]);
      expect(all[first + 1]).toBe(`${first + 1}:event-${n + 1}`);
    }
    await log.close();
  });

  test('keeps every acknowledged record across close and reopen', async () => {
    const log = await PartitionLog.open(path, logger);
    await log.append([record(0), record(1), record(2)]);
    await log.close();

    const reopened = await PartitionLog.open(path, logger);
    expect(reopened.endOffset).toBe(3);
    expect(await reopened.append([record(3)])).toBe(3);
    expect(await readAll(reopened)).toEqual(['0:event-0', '1:event-1', '2:event-2', '3:event-3']);
    await reopened.close();
  });

  test('cuts a torn last record on open and appends after the last whole one', async () => {
    const log = await PartitionLog.open(path, logger);
    await log.append([record(0), record(1)]);
    await log.close();
    const whole = (await stat(path)).size;
    const torn = encodeRecord(record(2));
    await appendFile(path, torn.subarray(0, torn.length - 3)); // crash in the middle of a write

    const reopened = await PartitionLog.open(path, logger);
    expect(reopened.endOffset).toBe(2);
    expect((await stat(path)).size).toBe(whole);
    expect(await reopened.append([record(9)])).toBe(2);
    expect(await readAll(reopened)).toEqual(['0:event-0', '1:event-1', '2:event-9']);
    await reopened.close();
  });

  test('cuts a tail whose length is intact but whose bytes are garbage', async () => {
    const log = await PartitionLog.open(path, logger);
    await log.append([record(0)]);
    await log.close();
    const garbage = encodeRecord(record(1));
    garbage.fill(0xab, 12); // length and checksum written, body never reached the disk intact
    await appendFile(path, garbage);

    const reopened = await PartitionLog.open(path, logger);
    expect(reopened.endOffset).toBe(1);
    expect(await readAll(reopened)).toEqual(['0:event-0']);
    await reopened.close();
  });

  test('locates any offset across the sparse index and reads bounded batches', async () => {
    const log = await PartitionLog.open(path, logger);
    for (let start = 0; start < 3_000; start += 500) {
      await log.append(Array.from({ length: 500 }, (_, i) => record(start + i)));
    }
    await log.close();
    const reopened = await PartitionLog.open(path, logger); // the index is rebuilt from the file

    for (const offset of [0, 1, 1023, 1024, 1025, 2047, 2048, 2999]) {
      const { records } = await reopened.read(await reopened.locate(offset), 1, 1024);
      expect(records.map((r) => [r.offset, text(r.value)])).toEqual([[offset, `event-${offset}`]]);
    }
    const batch = await reopened.read(await reopened.locate(100), 50, 1024 * 1024);
    expect(batch.records.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
    expect(batch.next.offset).toBe(150);
    const next = await reopened.read(batch.next, 1, 1024);
    expect(text(next.records[0]!.value)).toBe('event-150');

    const small = await reopened.read(await reopened.locate(0), 1_000, 100); // byte bound stops early
    expect(small.records.length).toBeGreaterThan(0);
    expect(small.records.length).toBeLessThan(10);
    expect(await reopened.locate(5_000)).toEqual({ offset: 3_000, position: (await stat(path)).size });
    await reopened.close();
  });

  test('waitForAppend resolves when a later record arrives or the wait is aborted', async () => {
    const log = await PartitionLog.open(path, logger);
    let woke = false;
    const waiting = log.waitForAppend(0, new AbortController().signal).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    await log.append([record(0)]);
    await waiting;
    expect(woke).toBe(true);

    const abort = new AbortController();
    const aborted = log.waitForAppend(1, abort.signal);
    abort.abort();
    await aborted;
    await log.close();
  });
});
