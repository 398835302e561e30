// The producer side of tamper evidence: stamps audit events with their chain position and
// signs periodic checkpoints. One chain per (producer_id, tenant); producer_id is
// "<event.source>/<uuid of this instance>", so a restarted process starts new chains.
//
// Why publishing is serialised per chain: the verifier expects a chain's events on the log in
// sequence order. Stamping happens when the chain's previous publish has settled, and a
// failed send rolls its sequences back (nothing later was stamped meanwhile), so a publish
// that never reached the log leaves no gap.
import { randomUUID } from 'node:crypto';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent } from '../envelope/index.js';
import { signCheckpoint, type AuditSigningKey } from './checkpoint-signature.js';
import { auditEventHash, chainKey, ZERO_HASH, type ChainId } from './hash-chain.js';

export const CHECKPOINT_ACTION = 'audit.checkpoint';

export interface AuditChainOptions {
  /** Signs checkpoints; without it events are chained but never checkpointed. */
  signingKey?: AuditSigningKey;
  /** A checkpoint after this many unsigned events of a chain (default 1000). */
  checkpointEvery?: number;
  /** ... or this long after a chain's first unsigned event (default 60 s). */
  checkpointIntervalMs?: number;
  /** Defaults to a random UUID: one per process incarnation. */
  instanceId?: string;
  logger?: { warn(obj: object, msg: string): void };
}

type Send = (events: readonly Event[]) => Promise<void>;

interface Chain {
  readonly id: ChainId;
  readonly source: string;
  sequence: bigint;
  head: Uint8Array;
  signedSequence: bigint;
  /** Settles when the chain's last queued publish has. */
  tail: Promise<void>;
  timer?: NodeJS.Timeout;
}

export class AuditChains {
  readonly instanceId: string;
  readonly #send: Send;
  readonly #key: AuditSigningKey | undefined;
  readonly #every: bigint;
  readonly #intervalMs: number;
  readonly #logger: AuditChainOptions['logger'];
  readonly #chains = new Map<string, Chain>();
  #closed = false;

  constructor(send: Send, opts: AuditChainOptions = {}) {
    this.#send = send;
    this.#key = opts.signingKey;
    this.#every = BigInt(opts.checkpointEvery ?? 1000);
    this.#intervalMs = opts.checkpointIntervalMs ?? 60_000;
    this.instanceId = opts.instanceId ?? randomUUID();
    this.#logger = opts.logger;
  }

  producerIdFor(source: string): string {
    return `${source}/${this.instanceId}`;
  }

  /** Publishes `events` (any payloads); audit events are stamped in order, per chain. */
  publish(events: readonly Event[]): Promise<void> {
    const chains = [...new Set(events.filter(isAudit).map((e) => this.#chainOf(e)))];
    if (chains.length === 0) return this.#send(events);
    const previous = chains.map((c) => c.tail);
    const turn = Promise.all(previous).then(() => this.#stampAndSend(events, chains));
    const settled = turn.then(() => undefined, () => undefined);
    for (const chain of chains) chain.tail = settled;
    return turn;
  }

  /** Signs every chain's unsigned events (shutdown), then stops the timers. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const chain of this.#chains.values()) {
      clearTimeout(chain.timer);
      chain.timer = undefined;
      this.#enqueueCheckpoint(chain);
    }
    await Promise.all([...this.#chains.values()].map((c) => c.tail));
  }

  #chainOf(event: Event): Chain {
    const id = { producerId: this.producerIdFor(event.source), tenantId: event.tenantId };
    const key = chainKey(id);
    let chain = this.#chains.get(key);
    if (chain === undefined) {
      chain = { id, source: event.source, sequence: 0n, head: ZERO_HASH, signedSequence: 0n, tail: Promise.resolve() };
      this.#chains.set(key, chain);
    }
    return chain;
  }

  async #stampAndSend(events: readonly Event[], chains: readonly Chain[]): Promise<void> {
    const before = chains.map((c) => ({ chain: c, sequence: c.sequence, head: c.head }));
    for (const event of events) {
      if (isAudit(event)) this.#stamp(event, this.#chainOf(event));
    }
    try {
      await this.#send(events);
    } catch (err) {
      for (const b of before) {
        b.chain.sequence = b.sequence;
        b.chain.head = b.head;
      }
      throw err;
    }
    for (const chain of chains) {
      if (chain.sequence - chain.signedSequence >= this.#every) await this.#checkpoint(chain);
      else this.#armTimer(chain);
    }
  }

  #stamp(event: Event & { payload: { case: 'audit' } }, chain: Chain): void {
    const sequence = chain.sequence + 1n;
    event.payload.value.integrity = {
      $typeName: 'aegis.events.v1.AuditIntegrity',
      producerId: chain.id.producerId,
      sequence,
      prevHash: chain.head,
      hash: new Uint8Array(0),
    };
    const hash = auditEventHash(event);
    event.payload.value.integrity.hash = hash;
    chain.sequence = sequence;
    chain.head = hash;
  }

  #armTimer(chain: Chain): void {
    if (this.#key === undefined || this.#closed || chain.timer !== undefined || chain.sequence === chain.signedSequence) return;
    chain.timer = setTimeout(() => {
      chain.timer = undefined;
      this.#enqueueCheckpoint(chain);
    }, this.#intervalMs);
    chain.timer.unref();
  }

  #enqueueCheckpoint(chain: Chain): void {
    const turn = chain.tail.then(() => this.#checkpoint(chain));
    chain.tail = turn;
  }

  /** Never rejects: a checkpoint that could not be published is retried by the next trigger. */
  async #checkpoint(chain: Chain): Promise<void> {
    clearTimeout(chain.timer);
    chain.timer = undefined;
    const key = this.#key;
    const sequence = chain.sequence;
    if (key === undefined || sequence === chain.signedSequence) return;
    const time = timestampNow();
    const checkpoint = signCheckpoint({ producerId: chain.id.producerId, tenantId: chain.id.tenantId, sequence, hash: chain.head, time }, key);
    const event = createEvent({
      source: chain.source,
      tenantId: chain.id.tenantId,
      actor: { type: PrincipalType.SERVICE, id: chain.source },
      action: CHECKPOINT_ACTION,
      payload: { case: 'auditCheckpoint', value: checkpoint },
    });
    event.time = time;
    try {
      await this.#send([event]);
      chain.signedSequence = sequence;
    } catch (err) {
      this.#logger?.warn({ err, producerId: chain.id.producerId, tenantId: chain.id.tenantId, sequence: sequence.toString() }, 'audit checkpoint not published; retrying later');
      this.#armTimer(chain);
    }
  }
}

function isAudit(event: Event): event is Event & { payload: { case: 'audit' } } {
  return event.payload.case === 'audit';
}
