import { Code, ConnectError } from '@connectrpc/connect';
import type { SettledUsageSchema, SettleUsageResponse } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import type { Money } from '@aegis/proto/aegis/common/v1/money_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';

export type SettledUsageInit = MessageInitShape<typeof SettledUsageSchema> & { eventId: string; requestId: string };

/** What billing booked for one settled usage. */
export interface UsageSettlement {
  usageEventId: string;
  /** Exact cost billing booked. */
  cost: Money;
}

export interface SettlerOptions {
  /** SettleUsage of one shared hold. */
  send(usages: SettledUsageInit[]): Promise<SettleUsageResponse>;
  /** Attempts per batch (each already retried by the transport on Unavailable). */
  attempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A usage that could not be settled (its `settled` promise rejects too); called before it rejects. */
  onLost(err: unknown, usages: readonly SettledUsageInit[]): void;
  /** Billing answered a SettleUsage call; called before its usages' `settled` promises resolve. */
  onSettled?(res: SettleUsageResponse): void;
}

/** Usages per SettleUsage call at most (billing's limit). */
export const MAX_BATCH = 500;

/** Answers that a repeat cannot change: the batch (or, split, the usage) is reported lost. */
const FINAL = new Set([Code.InvalidArgument, Code.NotFound, Code.FailedPrecondition, Code.AlreadyExists, Code.PermissionDenied, Code.Unauthenticated, Code.OutOfRange, Code.Unimplemented]);

interface Pending {
  usage: SettledUsageInit;
  resolve(settlement: UsageSettlement): void;
  reject(err: unknown): void;
}

/**
 * The usages of one shared hold, settled in the background with group commit: a usage is sent
 * at once when no settle is in flight; those that arrive meanwhile go together in the next
 * call. A failed call is repeated with backoff and the same event ids (billing books each id
 * once); a final refusal of a batch is retried usage by usage, so one bad usage cannot take the
 * others down. What finally fails is reported to onLost.
 */
export class Settler {
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;

  constructor(private readonly opts: SettlerOptions) {}

  get pending(): number {
    return this.#queue.length;
  }

  settle(usage: SettledUsageInit): Promise<UsageSettlement> {
    const settled = new Promise<UsageSettlement>((resolve, reject) => this.#queue.push({ usage, resolve, reject }));
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    return settled;
  }

  /** Resolves once everything queued so far is settled or reported lost. */
  async flush(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      await this.#settleBatch(batch);
    }
  }

  async #settleBatch(batch: Pending[]): Promise<void> {
    try {
      const res = await this.#withRetries(batch.map((p) => p.usage));
      this.opts.onSettled?.(res);
      const costs = new Map(res.costs.map((c) => [c.eventId, c.cost]));
      for (const p of batch) {
        const cost = costs.get(p.usage.eventId.toLowerCase()) ?? costs.get(p.usage.eventId);
        if (cost === undefined) p.reject(new ConnectError(`billing did not answer the cost of usage ${p.usage.eventId}`, Code.Internal));
        else p.resolve({ usageEventId: p.usage.eventId, cost });
      }
    } catch (err) {
      if (batch.length > 1 && FINAL.has(ConnectError.from(err).code)) {
        for (const p of batch) await this.#settleBatch([p]);
        return;
      }
      this.opts.onLost(err, batch.map((p) => p.usage));
      for (const p of batch) p.reject(err);
    }
  }

  async #withRetries(usages: SettledUsageInit[]): Promise<SettleUsageResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.opts.send(usages);
      } catch (err) {
        if (attempt >= this.opts.attempts || FINAL.has(ConnectError.from(err).code)) throw err;
        const bound = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, bound / 2 + Math.random() * (bound / 2)));
      }
    }
  }
}
