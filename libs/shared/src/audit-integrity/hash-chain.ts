// The hash of one audit event in its chain (docs/events.md, "Tamper evidence"):
//   hash(n) = SHA-256(hash(n-1) || protobuf_binary(Event with audit.integrity.hash empty))
// Producer and verifier both use this function, so they cannot disagree on the bytes.
import { createHash } from 'node:crypto';
import { clone, toBinary } from '@bufbuild/protobuf';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';

/** prev_hash of sequence 1. */
export const ZERO_HASH: Uint8Array = new Uint8Array(32);

/** Chains are per (producer, tenant). */
export interface ChainId {
  producerId: string;
  tenantId: string;
}

export function chainKey(id: ChainId): string {
  return `${id.producerId}\u0000${id.tenantId}`;
}

/**
 * SHA-256(integrity.prev_hash || binary(event with integrity.hash empty)). The event must be
 * an audit event with `integrity` set; it is not modified.
 */
export function auditEventHash(event: Event): Uint8Array {
  if (event.payload.case !== 'audit' || event.payload.value.integrity === undefined) {
    throw new Error(`event ${event.id} is not an audit event with integrity fields`);
  }
  const copy = clone(EventSchema, event);
  const integrity = (copy.payload.value as { integrity: { hash: Uint8Array; prevHash: Uint8Array } }).integrity;
  integrity.hash = new Uint8Array(0);
  return createHash('sha256').update(integrity.prevHash).update(toBinary(EventSchema, copy)).digest();
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
