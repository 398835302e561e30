// A hand-written protobuf wire decoder for the one shape the ledger reads all day: an
// aegis.events.v1.Event carrying a UsageEvent. Decoding with protobuf-es costs ~15 us per
// event (a message object per level, BigInt per int64, a validation pass); this reads the
// bytes once into a UsageEntry. It only knows the common case: anything unusual (an unknown
// or repeated message field, another payload, non-ASCII text, an int64 beyond 2^53, an invalid
// value) answers undefined, and the caller decodes that event with protobuf-es, which then
// also produces the exact rejection reason. So the fast path can only ever accept what the
// slow path accepts, never reject differently.
import type { UsageEntry } from './usage-entry.js';

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** A read position over one message's bytes; `end` bounds nested messages. */
interface Cursor {
  bytes: Uint8Array;
  pos: number;
}

/** The usage entry of an Event's bytes, or undefined when the bytes need the full decoder. */
export function fastUsageEntry(bytes: Uint8Array): UsageEntry | undefined {
  try {
    return readEvent({ bytes, pos: 0 }, bytes.length);
  } catch {
    return undefined;
  }
}

/** Thrown (and caught above) to leave the fast path; never escapes this module. */
class Unusual extends Error {}
const UNUSUAL = new Unusual();

function readEvent(c: Cursor, end: number): UsageEntry | undefined {
  let id = '';
  let source = '';
  let tenantId = '';
  let action = '';
  let timeMs: number | undefined;
  let usage: UsageFields | undefined;
  while (c.pos < end) {
    const tag = readVarint(c);
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1: id = readString(c, wire); break;
      case 2: if (timeMs !== undefined) throw UNUSUAL; timeMs = readTimestamp(c, wire); break;
      case 3: source = readString(c, wire); break;
      case 4: tenantId = readString(c, wire); break;
      case 5: case 8: skipLen(c, wire); break; // actor, trace: the ledger does not use them
      case 6: action = readString(c, wire); break;
      case 7: if (wire !== WIRE_VARINT) throw UNUSUAL; readVarint(c); break; // outcome
      case 20: if (usage !== undefined) throw UNUSUAL; usage = readUsage(c, wire); break;
      default: throw UNUSUAL; // other payloads, unknown fields: the full decoder keeps or rejects them
    }
  }
  if (c.pos !== end) throw UNUSUAL;
  // The envelope rules of assertValidEvent and the usage rules of entryFromEvent.
  if (id === '' || timeMs === undefined || source === '' || tenantId === '' || action === '' || usage === undefined) return undefined;
  if (usage.tenantId !== tenantId || usage.provider === '' || usage.model === '') return undefined;
  const { prompt, completion, cachedPrompt, cacheWrite, reasoning } = usage;
  if (cachedPrompt + cacheWrite > prompt || reasoning > completion) return undefined;
  return {
    eventId: id, tenantId, userId: usage.userId, apiKeyId: usage.apiKeyId, provider: usage.provider.toLowerCase(), model: usage.model,
    tokens: { prompt: BigInt(prompt), completion: BigInt(completion), cachedPrompt: BigInt(cachedPrompt), cacheWrite: BigInt(cacheWrite), reasoning: BigInt(reasoning) },
    requestId: usage.requestId, occurTime: new Date(usage.occurTimeMs ?? timeMs), estimated: usage.estimated,
    reservationId: usage.reservationId, agentId: usage.agentId,
  };
}

interface UsageFields {
  tenantId: string; userId: string; apiKeyId: string; provider: string; model: string; requestId: string; reservationId: string; agentId: string;
  prompt: number; completion: number; cachedPrompt: number; cacheWrite: number; reasoning: number;
  occurTimeMs: number | undefined; estimated: boolean;
}

function readUsage(c: Cursor, wire: number): UsageFields {
  const end = lengthEnd(c, wire);
  const u: UsageFields = {
    tenantId: '', userId: '', apiKeyId: '', provider: '', model: '', requestId: '', reservationId: '', agentId: '',
    prompt: 0, completion: 0, cachedPrompt: 0, cacheWrite: 0, reasoning: 0, occurTimeMs: undefined, estimated: false,
  };
  let tokensSeen = false;
  while (c.pos < end) {
    const tag = readVarint(c);
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: u.tenantId = readString(c, wireType); break;
      case 2: u.userId = readString(c, wireType); break;
      case 3: u.apiKeyId = readString(c, wireType); break;
      case 4: u.provider = readString(c, wireType); break;
      case 5: u.model = readString(c, wireType); break;
      case 6: if (tokensSeen) throw UNUSUAL; tokensSeen = true; readTokens(c, wireType, u); break;
      case 7: u.requestId = readString(c, wireType); break;
      case 8: if (u.occurTimeMs !== undefined) throw UNUSUAL; u.occurTimeMs = readTimestamp(c, wireType); break;
      case 9: if (wireType !== WIRE_VARINT) throw UNUSUAL; u.estimated = readVarint(c) !== 0; break;
      case 10: u.reservationId = readString(c, wireType); break;
      case 11: u.agentId = readString(c, wireType); break;
      default: throw UNUSUAL;
    }
  }
  if (c.pos !== end) throw UNUSUAL;
  return u;
}

function readTokens(c: Cursor, wire: number, u: UsageFields): void {
  const end = lengthEnd(c, wire);
  while (c.pos < end) {
    const tag = readVarint(c);
    if ((tag & 7) !== WIRE_VARINT) throw UNUSUAL;
    const value = readVarint(c);
    switch (tag >>> 3) {
      case 1: u.prompt = value; break;
      case 2: u.completion = value; break;
      case 3: u.cachedPrompt = value; break;
      case 4: u.cacheWrite = value; break;
      case 5: u.reasoning = value; break;
      default: throw UNUSUAL;
    }
  }
  if (c.pos !== end) throw UNUSUAL;
}

/** google.protobuf.Timestamp as epoch milliseconds, rounded as protobuf-es's timestampMs does. */
function readTimestamp(c: Cursor, wire: number): number {
  const end = lengthEnd(c, wire);
  let seconds = 0;
  let nanos = 0;
  while (c.pos < end) {
    const tag = readVarint(c);
    if ((tag & 7) !== WIRE_VARINT) throw UNUSUAL;
    const value = readVarint(c);
    if (tag >>> 3 === 1) seconds = value;
    else if (tag >>> 3 === 2) nanos = value;
    else throw UNUSUAL;
  }
  if (c.pos !== end || nanos > 999_999_999) throw UNUSUAL;
  return seconds * 1000 + Math.round(nanos / 1_000_000);
}

/**
 * A varint as a non-negative safe integer. Negative int64s (ten bytes) and values beyond
 * 2^53 leave the fast path: the full decoder reads them as BigInt.
 */
function readVarint(c: Cursor): number {
  const { bytes } = c;
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (c.pos >= bytes.length) throw UNUSUAL;
    const b = bytes[c.pos++]!;
    result += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (result > Number.MAX_SAFE_INTEGER) throw UNUSUAL;
      return result;
    }
    scale *= 128;
  }
  throw UNUSUAL;
}

function lengthEnd(c: Cursor, wire: number): number {
  if (wire !== WIRE_LEN) throw UNUSUAL;
  const length = readVarint(c);
  const end = c.pos + length;
  if (end > c.bytes.length) throw UNUSUAL;
  return end;
}

function skipLen(c: Cursor, wire: number): void {
  c.pos = lengthEnd(c, wire);
}

/** ASCII text without NUL; any other byte leaves the fast path (UTF-8 and NUL handling are the full decoder's). */
function readString(c: Cursor, wire: number): string {
  const end = lengthEnd(c, wire);
  const { bytes } = c;
  for (let i = c.pos; i < end; i++) if (bytes[i]! >= 0x80 || bytes[i] === 0) throw UNUSUAL;
  // Kafka hands over Buffers: toString('latin1') (= ASCII here) copies natively without a view object.
  const text = Buffer.isBuffer(bytes) ? bytes.toString('latin1', c.pos, end) : String.fromCharCode.apply(null, bytes.subarray(c.pos, end) as unknown as number[]);
  c.pos = end;
  return text;
}
