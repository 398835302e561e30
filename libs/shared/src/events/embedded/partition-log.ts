// One partition of the embedded log: an append-only file of records (record-codec.ts).
// An offset is a record's index in the file, as in Kafka. Memory stays bounded: the file is
// read in chunks, and only the byte position of every INDEX_INTERVAL-th record is kept.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { decodeRecord, encodeRecord, RECORD_HEADER_BYTES, type DecodeResult, type LogRecord } from './record-codec.js';

const INDEX_INTERVAL = 1024;
const READ_CHUNK_BYTES = 256 * 1024;

/** A place in the log: the next record's offset and its byte position. */
export interface LogCursor {
  offset: number;
  position: number;
}

export interface StoredRecord extends LogRecord {
  offset: number;
}

export class PartitionLog {
  private readonly waiters = new Set<() => void>();
  private appending: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    /** End of the last whole, fsync'd record: readers never look past it. */
    private size: number,
    private nextOffset: number,
    /** index[i] is the byte position of offset i * INDEX_INTERVAL. */
    private readonly index: number[],
  ) {}

  /**
   * Opens (creating if needed) and recovers the log: the file is cut back to its last whole
   * record, which drops a record torn by a crash before its publish was acknowledged.
   */
  static async open(path: string, logger: Logger): Promise<PartitionLog> {
    const file = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      const { size: fileSize } = await file.stat();
      const reader = new ChunkReader(file, fileSize);
      const index: number[] = [];
      let position = 0;
      let offset = 0;
      while (position < fileSize) {
        const result = await reader.decodeAt(position);
        if (result.kind !== 'record') break;
        if (offset % INDEX_INTERVAL === 0) index.push(position);
        position += result.size;
        offset += 1;
      }
      if (position < fileSize) {
        logger.warn({ path, keptBytes: position, droppedBytes: fileSize - position }, 'event log: truncating an incomplete tail');
        await file.truncate(position);
        await file.datasync();
      }
      return new PartitionLog(path, file, position, offset, index);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** The offset the next appended record gets. */
  get endOffset(): number {
    return this.nextOffset;
  }

  /**
   * Appends records in order and resolves with the first one's offset once all are written and
   * fsync'd. Appends are serialised, so offsets follow call order.
   */
  append(records: readonly LogRecord[]): Promise<number> {
    const encoded = records.map(encodeRecord); // size errors surface before anything is queued
    const result = this.appending.then(() => this.write(encoded));
    this.appending = result.catch(() => undefined);
    return result;
  }

  private async write(records: readonly Buffer[]): Promise<number> {
    if (this.closed) throw new Error(`event log ${this.path} is closed`);
    const bytes = Buffer.concat(records);
    // A failed write leaves size unchanged, so the next append overwrites whatever was torn.
    for (let written = 0; written < bytes.length; ) {
      const { bytesWritten } = await this.file.write(bytes, written, bytes.length - written, this.size + written);
      written += bytesWritten;
    }
    await this.file.datasync();

    const first = this.nextOffset;
    let position = this.size;
    for (const record of records) {
      if (this.nextOffset % INDEX_INTERVAL === 0) this.index.push(position);
      position += record.length;
      this.nextOffset += 1;
    }
    this.size = position;
    for (const wake of [...this.waiters]) wake();
    return first;
  }

  /** The cursor for `offset`, clamped to the end of the log. */
  async locate(offset: number): Promise<LogCursor> {
    if (offset >= this.nextOffset) return { offset: this.nextOffset, position: this.size };
    const slot = Math.floor(Math.max(0, offset) / INDEX_INTERVAL);
    let cursor: LogCursor = { offset: slot * INDEX_INTERVAL, position: this.index[slot]! };
    const reader = new ChunkReader(this.file, this.size);
    while (cursor.offset < offset) {
      const result = await reader.decodeAt(cursor.position);
      cursor = { offset: cursor.offset + 1, position: cursor.position + this.wholeRecordSize(result, cursor) };
    }
    return cursor;
  }

  /** Up to `maxRecords` records from `from`, stopping early once about `maxBytes` were read. */
  async read(from: LogCursor, maxRecords: number, maxBytes: number): Promise<{ records: StoredRecord[]; next: LogCursor }> {
    const end = this.size;
    const reader = new ChunkReader(this.file, end);
    const records: StoredRecord[] = [];
    let cursor = from;
    while (records.length < maxRecords && cursor.position < end && cursor.position - from.position < maxBytes) {
      const result = await reader.decodeAt(cursor.position);
      const size = this.wholeRecordSize(result, cursor);
      if (result.kind === 'record') records.push({ ...result.record, offset: cursor.offset });
      cursor = { offset: cursor.offset + 1, position: cursor.position + size };
    }
    return { records, next: cursor };
  }

  /** Resolves once a record with offset >= `offset` exists, or when `signal` aborts. */
  waitForAppend(offset: number, signal: AbortSignal): Promise<void> {
    if (this.nextOffset > offset || signal.aborted || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.appending;
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
    await this.file.close();
  }

  private wholeRecordSize(result: DecodeResult, at: LogCursor): number {
    // Below `size` every record was verified on open or written by us: anything else is damage
    // done to the file while it was open.
    if (result.kind !== 'record') throw new Error(`event log ${this.path} is damaged at byte ${at.position}`);
    return result.size;
  }
}

/** Reads a file range in chunks so that records are decoded without reading the whole file. */
class ChunkReader {
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly end: number,
  ) {}

  async decodeAt(position: number): Promise<DecodeResult> {
    for (;;) {
      const inBuffer = position >= this.start && position <= this.start + this.buf.length;
      const result: DecodeResult = inBuffer
        ? decodeRecord(this.buf, position - this.start)
        : { kind: 'incomplete', size: RECORD_HEADER_BYTES };
      if (result.kind !== 'incomplete') return result;

      const available = this.end - position;
      if (result.size > available) return result; // the file ends inside this record
      const wanted = Math.min(available, Math.max(result.size, READ_CHUNK_BYTES));
      if (inBuffer && this.start + this.buf.length >= position + wanted) return result;
      await this.fill(position, wanted);
      if (this.buf.length < result.size) return result; // short read: the file shrank
    }
  }

  private async fill(position: number, length: number): Promise<void> {
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.file.read(buf, 0, length, position);
    this.buf = buf.subarray(0, bytesRead);
    this.start = position;
  }
}
