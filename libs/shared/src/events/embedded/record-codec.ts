// The on-disk record of the embedded log. Every record carries its own length and a CRC of
// its body, so recovery can tell a whole record from one torn by a crash mid-write (a torn
// write can leave the length intact and garbage after it, hence the checksum).
//
//   u32 bodyLength | u32 crc32(body) | body
//   body = u64 timestamp | u32 keyLength | key | u32 headersLength | headers (JSON) | u32 valueLength | value

import { crc32 } from 'node:zlib';

/** Kafka's default `message.max.bytes` is about 1 MiB; the embedded log enforces the same bound. */
export const MAX_RECORD_BYTES = 1024 * 1024;
export const RECORD_HEADER_BYTES = 8;

export interface LogRecord {
  timestamp: number;
  key: string;
  headers: Record<string, string>;
  value: Uint8Array;
}

export function encodeRecord(record: LogRecord): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  const headers = Buffer.from(JSON.stringify(record.headers), 'utf8');
  const bodyLength = 8 + 4 + key.length + 4 + headers.length + 4 + record.value.length;
  if (RECORD_HEADER_BYTES + bodyLength > MAX_RECORD_BYTES) {
    throw new RangeError(`event of ${bodyLength} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`);
  }

  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bodyLength);
  let at = RECORD_HEADER_BYTES;
  at = out.writeBigUInt64BE(BigInt(record.timestamp), at);
  at = out.writeUInt32BE(key.length, at);
  at += key.copy(out, at);
  at = out.writeUInt32BE(headers.length, at);
  at += headers.copy(out, at);
  at = out.writeUInt32BE(record.value.length, at);
  out.set(record.value, at);

  out.writeUInt32BE(bodyLength, 0);
  out.writeUInt32BE(crc32(out.subarray(RECORD_HEADER_BYTES)), 4);
  return out;
}

export type DecodeResult =
  | { kind: 'record'; record: LogRecord; size: number }
  /** The bytes end before the record does: read more, or it is a torn tail. */
  | { kind: 'incomplete'; size: number }
  /** Length out of bounds or checksum mismatch. */
  | { kind: 'corrupt' };

/** Decodes the record starting at `at` in `buf`. The returned value is a copy, safe to keep. */
export function decodeRecord(buf: Buffer, at: number): DecodeResult {
  if (buf.length - at < RECORD_HEADER_BYTES) return { kind: 'incomplete', size: RECORD_HEADER_BYTES };
  const bodyLength = buf.readUInt32BE(at);
  const size = RECORD_HEADER_BYTES + bodyLength;
  if (bodyLength < 20 || size > MAX_RECORD_BYTES) return { kind: 'corrupt' };
  if (buf.length - at < size) return { kind: 'incomplete', size };

  const body = buf.subarray(at + RECORD_HEADER_BYTES, at + size);
  if (crc32(body) !== buf.readUInt32BE(at + 4)) return { kind: 'corrupt' };

  try {
    let p = 0;
    const timestamp = Number(body.readBigUInt64BE(p));
    p += 8;
    const keyLength = body.readUInt32BE(p);
    const key = body.toString('utf8', p + 4, p + 4 + keyLength);
    p += 4 + keyLength;
    const headersLength = body.readUInt32BE(p);
    const headers = JSON.parse(body.toString('utf8', p + 4, p + 4 + headersLength)) as Record<string, string>;
    p += 4 + headersLength;
    const valueLength = body.readUInt32BE(p);
    if (p + 4 + valueLength !== body.length) return { kind: 'corrupt' };
    const value = new Uint8Array(body.subarray(p + 4, p + 4 + valueLength));
    return { kind: 'record', record: { timestamp, key, headers, value }, size };
  } catch {
    // A body whose checksum matches but does not parse was not written by this codec.
    return { kind: 'corrupt' };
  }
}
