import { decodeRecord, encodeRecord, MAX_RECORD_BYTES, type LogRecord } from '../../../src/events/embedded/record-codec.js';

const record: LogRecord = {
  timestamp: 1_700_000_000_123,
  key: 'tenant-é',
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-event-type': 'key.created' },
  value: new Uint8Array([0, 1, 2, 254, 255]),
};

describe('record codec', () => {
  test('round-trips a record and reports its size', () => {
    const bytes = encodeRecord(record);
    const decoded = decodeRecord(bytes, 0);
    expect(decoded).toEqual({ kind: 'record', record, size: bytes.length });
  });

  test('decodes at an offset inside a larger buffer', () => {
    const first = encodeRecord({ ...record, key: 'a' });
    const second = encodeRecord(record);
    const decoded = decodeRecord(Buffer.concat([first, second]), first.length);
    expect(decoded.kind === 'record' && decoded.record.key).toBe('tenant-é');
  });

  test('a record cut short is incomplete, with the size needed', () => {
    const bytes = encodeRecord(record);
    expect(decodeRecord(bytes.subarray(0, 5), 0)).toEqual({ kind: 'incomplete', size: 8 });
    expect(decodeRecord(bytes.subarray(0, bytes.length - 1), 0)).toEqual({ kind: 'incomplete', size: bytes.length });
  });

  test('a flipped byte in the body is corrupt', () => {
    const bytes = encodeRecord(record);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0xff;
    expect(decodeRecord(bytes, 0)).toEqual({ kind: 'corrupt' });
  });

  test('a length beyond the record limit is corrupt, not a wait for more bytes', () => {
    const bytes = Buffer.alloc(16);
    bytes.writeUInt32BE(MAX_RECORD_BYTES, 0);
    expect(decodeRecord(bytes, 0)).toEqual({ kind: 'corrupt' });
  });

  test('refuses to encode an event over the limit', () => {
    expect(() => encodeRecord({ ...record, value: new Uint8Array(MAX_RECORD_BYTES) })).toThrow(RangeError);
  });
});
