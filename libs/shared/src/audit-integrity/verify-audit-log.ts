// Verification of audit hash chains and checkpoints: a pure function over what was read from
// the audit topic (in the order read), and the public keys the verifier trusts.
import { toBinary } from '@bufbuild/protobuf';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { AuditCheckpoint } from '@aegis/proto/aegis/events/v1/audit_checkpoint_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { checkpointSignatureValid } from './checkpoint-signature.js';
import { auditEventHash, chainKey, hex, sameBytes, ZERO_HASH } from './hash-chain.js';
import type { TrustedKeys } from './trusted-keys.js';

/** One record of the input: a decoded event, or why its bytes could not be decoded. */
export type AuditRecord =
  | { event: Event; position: string }
  | { error: string; position: string };

export type AuditIssueKind =
  /** The event's content does not hash to its integrity.hash; or one id with two contents. */
  | 'altered'
  /** Sequences absent from the chain (dropped events, or a truncation before a checkpoint). */
  | 'missing'
  /** The event arrived after a later event of its chain. */
  | 'reordered'
  /** integrity.prev_hash is not the hash of the event before it (the chain was rewritten). */
  | 'broken_link'
  /** Two events (different ids) claim one sequence. */
  | 'duplicated'
  /** A checkpoint whose signature does not verify, or whose key is not trusted. */
  | 'bad_checkpoint'
  /** A validly signed checkpoint whose hash differs from the event at its sequence. */
  | 'checkpoint_mismatch'
  /** An audit event without valid integrity fields. */
  | 'unchained'
  /** A record that is not an event. */
  | 'unreadable';

export interface AuditIssue {
  kind: AuditIssueKind;
  message: string;
  producerId?: string;
  tenantId?: string;
  sequence?: number;
  eventId?: string;
  position?: string;
}

export interface ChainReport {
  producerId: string;
  tenantId: string;
  events: number;
  firstSequence: number;
  lastSequence: number;
  /** The highest sequence proven by a valid checkpoint over an intact chain (0: none). */
  signedSequence: number;
  /** Events after signedSequence: hash-consistent at best, but a truncation there is undetectable. */
  unverifiedTail: number;
  issues: AuditIssue[];
}

export interface AuditVerifyReport {
  ok: boolean;
  events: number;
  checkpoints: number;
  /** Records of other payloads, ignored. */
  ignored: number;
  chains: ChainReport[];
  /** Every issue, chains' included. */
  issues: AuditIssue[];
  unverifiedTail: number;
}

export interface VerifyOptions {
  /**
   * The input starts at the beginning of every chain (default true). False for a window that
   * may start mid-chain (e.g. a time range): a chain's first event then is not checked against
   * its predecessor, and no sequences before it are counted missing.
   */
  fromChainStart?: boolean;
}

interface Entry { event: Event; sequence: bigint; prevHash: Uint8Array; hash: Uint8Array; position: string }
interface ChainInput { producerId: string; tenantId: string; entries: Entry[]; checkpoints: { checkpoint: AuditCheckpoint; position: string }[]; issues: AuditIssue[] }

export function verifyAuditLog(records: Iterable<AuditRecord>, keys: TrustedKeys, opts: VerifyOptions = {}): AuditVerifyReport {
  const chains = new Map<string, ChainInput>();
  const loose: AuditIssue[] = [];
  let events = 0, checkpoints = 0, ignored = 0;
  const chainFor = (producerId: string, tenantId: string): ChainInput => {
    const key = chainKey({ producerId, tenantId });
    let chain = chains.get(key);
    if (chain === undefined) chains.set(key, (chain = { producerId, tenantId, entries: [], checkpoints: [], issues: [] }));
    return chain;
  };

  for (const record of records) {
    if ('error' in record) {
      loose.push({ kind: 'unreadable', position: record.position, message: `${record.position}: ${record.error}` });
      continue;
    }
    const { event, position } = record;
    if (event.payload.case === 'auditCheckpoint') {
      checkpoints++;
      const checkpoint = event.payload.value;
      const problem = checkpointProblem(checkpoint, keys);
      if (problem !== undefined) {
        loose.push({ kind: 'bad_checkpoint', producerId: checkpoint.producerId, tenantId: checkpoint.tenantId, sequence: Number(checkpoint.sequence), eventId: event.id, position, message: `${position}: checkpoint ${event.id} ${problem}` });
      } else {
        chainFor(checkpoint.producerId, checkpoint.tenantId).checkpoints.push({ checkpoint, position });
      }
      continue;
    }
    if (event.payload.case !== 'audit') {
      ignored++;
      continue;
    }
    events++;
    const integrity = event.payload.value.integrity;
    if (integrity === undefined || integrity.producerId === '' || integrity.sequence < 1n || integrity.hash.length !== 32 || integrity.prevHash.length !== 32) {
      loose.push({ kind: 'unchained', eventId: event.id, tenantId: event.tenantId, position, message: `${position}: audit event ${event.id} has no valid integrity fields` });
      continue;
    }
    chainFor(integrity.producerId, event.tenantId).entries.push({ event, sequence: integrity.sequence, prevHash: integrity.prevHash, hash: integrity.hash, position });
  }

  const reports = [...chains.values()].map((c) => verifyChain(c, opts.fromChainStart ?? true));
  const issues = [...loose, ...reports.flatMap((r) => r.issues)];
  return { ok: issues.length === 0, events, checkpoints, ignored, chains: reports, issues, unverifiedTail: reports.reduce((n, r) => n + r.unverifiedTail, 0) };
}

function checkpointProblem(checkpoint: AuditCheckpoint, keys: TrustedKeys): string | undefined {
  const key = keys.get(checkpoint.keyId);
  if (key === undefined) return `is signed by key ${checkpoint.keyId || '(none)'}, which is not trusted`;
  if (!checkpointSignatureValid(checkpoint, key)) return `has an invalid signature (key ${checkpoint.keyId})`;
  if (checkpoint.hash.length !== 32 || checkpoint.sequence < 1n) return 'has no valid sequence and hash';
  return undefined;
}

function verifyChain(input: ChainInput, fromChainStart: boolean): ChainReport {
  const { producerId, tenantId } = input;
  const issues: AuditIssue[] = [];
  const issue = (kind: AuditIssueKind, sequence: bigint, message: string, entry?: Entry): void => {
    issues.push({ kind, producerId, tenantId, sequence: Number(sequence), message, ...(entry !== undefined ? { eventId: entry.event.id, position: entry.position } : {}) });
  };
  const chainName = `chain ${producerId} tenant ${tenantId}`;

  // Stream order, redeliveries and each event's own hash.
  const seen = new Map<string, Uint8Array>();
  const bySequence = new Map<bigint, Entry[]>();
  let highest = 0n;
  for (const entry of input.entries) {
    const bytes = toBinary(EventSchema, entry.event);
    const earlier = seen.get(entry.event.id);
    if (earlier !== undefined) {
      if (!sameBytes(earlier, bytes)) issue('altered', entry.sequence, `${entry.position}: event ${entry.event.id} was delivered twice with different content`, entry);
      continue; // a redelivery (at-least-once) is not a violation
    }
    seen.set(entry.event.id, bytes);
    if (!sameBytes(auditEventHash(entry.event), entry.hash)) {
      issue('altered', entry.sequence, `${entry.position}: event ${entry.event.id} (sequence ${entry.sequence}) does not match its hash`, entry);
    }
    if (entry.sequence < highest) issue('reordered', entry.sequence, `${entry.position}: sequence ${entry.sequence} came after sequence ${highest}`, entry);
    if (entry.sequence > highest) highest = entry.sequence;
    const list = bySequence.get(entry.sequence) ?? [];
    list.push(entry);
    bySequence.set(entry.sequence, list);
  }

  // Walk by sequence: duplicates, gaps, links.
  const sequences = [...bySequence.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const first = sequences[0] ?? 0n;
  let previous: bigint | undefined;
  for (const sequence of sequences) {
    const entries = bySequence.get(sequence)!;
    if (entries.length > 1) issue('duplicated', sequence, `sequence ${sequence} is claimed by events ${entries.map((e) => e.event.id).join(', ')}`, entries[1]);
    const expectedFrom = previous !== undefined ? previous + 1n : fromChainStart ? 1n : sequence;
    if (sequence > expectedFrom) issue('missing', expectedFrom, `${chainName}: sequence${sequence - expectedFrom > 1n ? `s ${expectedFrom}-${sequence - 1n}` : ` ${expectedFrom}`} missing`);
    // The predecessor's hash (32 zero bytes before sequence 1); unknown when it is missing.
    const before = sequence === 1n ? [ZERO_HASH] : bySequence.get(sequence - 1n)?.map((e) => e.hash);
    if (before !== undefined) {
      for (const entry of entries) {
        if (!before.some((h) => sameBytes(h, entry.prevHash))) issue('broken_link', sequence, `${entry.position}: event ${entry.event.id} (sequence ${sequence}) does not link to sequence ${sequence - 1n}`, entry);
      }
    }
    previous = sequence;
  }

  // Checkpoints: a valid signature over a hash the chain does not have means it was rewritten.
  const last = sequences[sequences.length - 1] ?? 0n;
  const matched: bigint[] = [];
  const beyond = input.checkpoints.filter((c) => c.checkpoint.sequence > last).sort((a, b) => (a.checkpoint.sequence > b.checkpoint.sequence ? -1 : 1))[0];
  if (beyond !== undefined) issue('missing', last + 1n, `${chainName}: checkpoint at ${beyond.position} signs sequence ${beyond.checkpoint.sequence}, but the events end at ${last} (truncated)`);
  for (const { checkpoint, position } of input.checkpoints) {
    const at = bySequence.get(checkpoint.sequence);
    if (at === undefined) continue; // a gap or a truncation, reported above
    if (!at.some((e) => sameBytes(e.hash, checkpoint.hash))) {
      issue('checkpoint_mismatch', checkpoint.sequence, `${chainName}: checkpoint at ${position} signs hash ${hex(checkpoint.hash).slice(0, 16)}… for sequence ${checkpoint.sequence}, the chain has ${hex(at[0]!.hash).slice(0, 16)}…`);
      continue;
    }
    matched.push(checkpoint.sequence);
  }
  // A checkpoint proves the chain only up to its first problem.
  const firstProblem = issues.reduce<bigint | undefined>((min, i) => (min === undefined || BigInt(i.sequence!) < min ? BigInt(i.sequence!) : min), undefined);
  const signed = matched.filter((s) => firstProblem === undefined || s < firstProblem).reduce((max, s) => (s > max ? s : max), 0n);
  const unverifiedTail = sequences.filter((s) => s > signed).length;
  return { producerId, tenantId, events: sequences.length, firstSequence: Number(first), lastSequence: Number(last), signedSequence: Number(signed), unverifiedTail, issues };
}
