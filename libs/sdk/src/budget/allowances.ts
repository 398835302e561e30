import { randomUUID } from 'node:crypto';
import { durationFromMs, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { ReservationStatus, type BudgetStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import type { ModelPrice } from '@aegis/proto/aegis/billing/v1/price_pb.js';
import type { ReservationService } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { TokenUsage } from '@aegis/proto/aegis/common/v1/tokens_pb.js';
import { Allowance, estimateTokens, type Carve, type EstimateTokens, type PriceQuote } from './allowance.js';
import { requestsPerHold } from './allowance-sizing.js';
import { Settler, type SettledUsageInit, type UsageSettlement } from './settler.js';

/** `budgetAllowances` of createAegisClients. */
export interface BudgetAllowanceOptions {
  /** Requests' estimates one shared hold covers at most (default 16). */
  maxRequests?: number;
  /** Fewest requests worth a shared hold (default 4); with less budget room the per-request path is kept. */
  minRequests?: number;
  /** Share of the tightest hard budget's remaining room one shared hold may take (default 0.1). */
  roomShare?: number;
  /** Lifetime of a shared hold that is never released, e.g. the process died (default 5 min). */
  ttlMs?: number;
  /**
   * How long a shared hold is carved from (default 10 s, at most half the TTL); it is released
   * once its usage is settled. Also bounds how long a budget change goes unseen when no settle
   * answers it (SettleUsage's budgets_changed).
   */
  carveWindowMs?: number;
  /** A shared hold nothing was carved from for this long is released once its usages are settled (default 2 s). */
  idleMs?: number;
  /** Allowance pools (tenant, user, key, provider, model) kept at most (default 10,000; the oldest idle go first). */
  maxPools?: number;
  /**
   * After a usage is lost (its settle failed for good), no allowance of its tenant is used for
   * this long (default 60 s) or until a settle of that tenant succeeds: requests take the
   * per-request path, where a failing commit is the request's GuardServiceError.
   */
  lossPauseMs?: number;
  /** SettleUsage attempts per batch before its usage is reported lost (default 8; backoff 100 ms doubling to 5 s). */
  settleAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * How long close() waits for carves still running before settling and releasing (default 10 s).
   * A run that ends later is not settled: its usage is reported to onSettleError (Canceled).
   */
  closeTimeoutMs?: number;
  /** Usage that could not be settled (default: a process warning naming event and request ids). */
  onSettleError?: (err: unknown, usages: readonly { eventId: string; requestId: string }[]) => void;
  now?: () => number;
}

export interface BudgetAllowanceStats {
  /** Shared holds open now. */
  allowances: number;
  /** Requests carved from an allowance (no ReserveBudget). */
  carved: number;
  /** Shared holds acquired so far. */
  acquired: number;
  /** Usages settled so far, and SettleUsage calls that carried them. */
  settled: number;
  settleCalls: number;
  /** Usages that could not be settled (reported to onSettleError). */
  lost: number;
  /** Usages billing priced differently from the quote (a price changed at once); their allowances were retired. */
  repriced: number;
  /** Settles that answered budgets_changed (every allowance of the tenant was retired). */
  budgetsChanged: number;
  /** Allowance pools kept now. */
  pools: number;
}

interface Pool {
  tenantId: string;
  allowances: Allowance[];
  acquiring: Promise<void> | undefined;
  /** No acquisition before this time (ms): billing refused one, or a per-request hold was refused. */
  pausedUntil: number;
  /** Billing does not quote prices (older than this SDK): never again for this key. */
  disabled: boolean;
  statuses: readonly BudgetStatus[];
  /** Releases of this pool's holds still in flight (a refusal waits for them before asking again). */
  releasing: Set<Promise<void>>;
  /** Latest carve or per-request hold of this key (ms): the cap drops the least recent idle pool first. */
  lastUsed: number;
}

type Model = { provider: string; model: string };

/** Price changes and expiry are kept this far away from the last carve (clock skew, run time). */
const MARGIN_MS = 5_000;
const PAUSE_MS = 5_000;
/** Per-request holds whose shared hold's fate waits for their commit or release, at most. */
const MAX_TRIGGERED = 10_000;

function keyOf(principal: Principal, model: Model): string {
  return [principal.tenantId, principal.userId, principal.apiKeyId, model.provider.toLowerCase(), model.model].join('\u0000');
}

function quoteOf(price: ModelPrice): PriceQuote {
  return {
    priceId: price.priceId,
    currency: price.currencyCode,
    prices: {
      prompt: price.promptNanosPerMillion, completion: price.completionNanosPerMillion,
      cachedPrompt: price.cachedPromptNanosPerMillion, cacheWrite: price.cacheWriteNanosPerMillion, reasoning: price.reasoningNanosPerMillion,
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Budget allowances (docs/sdk.md, "Budget allowances"): per tenant, user, key, provider and
 * model, a shared hold on the budgets (ReserveBudget with shared = true) for several requests'
 * estimates, acquired in the background ahead of need; each guarded request carves its
 * estimate locally (no round trip) and its actual usage is settled right after the answer, in
 * the background and grouped (SettleUsage). The cost is computed here with the price billing
 * quoted for the hold and the shared cost function, so it equals what billing books. Whatever
 * cannot be carved (the first request of a key, one that does not fit, a model whose price is
 * about to change) takes the per-request path.
 */
export class BudgetAllowances {
  readonly #reservations: Client<typeof ReservationService>;
  readonly #opts: Required<Omit<BudgetAllowanceOptions, 'onSettleError'>> & Pick<BudgetAllowanceOptions, 'onSettleError'>;
  readonly #pools = new Map<string, Pool>();
  /** The pool each open allowance belongs to. */
  readonly #poolOf = new Map<Allowance, Pool>();
  /** Tenants whose allowances are not used until this time (ms): a usage of theirs was lost. */
  readonly #lossPause = new Map<string, number>();
  readonly #settlers = new Map<Allowance, Settler>();
  readonly #releasing = new Set<Promise<void>>();
  /** Acquisitions a per-request hold started, by its reservation id, until it is committed or released. */
  readonly #triggered = new Map<string, { pool: Pool; acquiring: Promise<Allowance | undefined> }>();
  /** Each key's latest request (ms), kept beyond its pool (at most maxPools keys, oldest dropped first). */
  readonly #lastRequest = new Map<string, number>();
  #closing = false;
  /** close() stopped waiting for running carves: a usage settled from here on is reported lost, never sent. */
  #closed = false;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #stats: BudgetAllowanceStats = { allowances: 0, carved: 0, acquired: 0, settled: 0, settleCalls: 0, lost: 0, repriced: 0, budgetsChanged: 0, pools: 0 };

  constructor(reservations: Client<typeof ReservationService>, opts: BudgetAllowanceOptions = {}) {
    this.#reservations = reservations;
    const ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.#opts = {
      maxRequests: opts.maxRequests ?? 16, minRequests: opts.minRequests ?? 4, roomShare: opts.roomShare ?? 0.1, ttlMs,
      carveWindowMs: Math.min(opts.carveWindowMs ?? 10_000, ttlMs / 2), settleAttempts: opts.settleAttempts ?? 8,
      idleMs: opts.idleMs ?? 2_000, maxPools: opts.maxPools ?? 10_000, lossPauseMs: opts.lossPauseMs ?? 60_000,
      initialBackoffMs: opts.initialBackoffMs ?? 100, maxBackoffMs: opts.maxBackoffMs ?? 5_000, closeTimeoutMs: opts.closeTimeoutMs ?? 10_000,
      onSettleError: opts.onSettleError, now: opts.now ?? Date.now,
    };
    // Idle holds go back and empty pools go away; a few times per idleMs, at most once a second.
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.min(this.#opts.idleMs / 2, 1_000)));
    this.#sweeper.unref();
  }

  stats(): BudgetAllowanceStats {
    let open = 0;
    for (const pool of this.#pools.values()) open += pool.allowances.length;
    return { ...this.#stats, allowances: open, pools: this.#pools.size };
  }

  /** The request's estimate carved from an allowance of its principal and model, or undefined: take the per-request path. */
  carve(principal: Principal, model: Model, est: EstimateTokens): Carve | undefined {
    if (this.#closing) return undefined;
    const pool = this.#pools.get(keyOf(principal, model));
    if (pool === undefined) return undefined;
    const now = this.#opts.now();
    if (this.#lossPaused(pool.tenantId, now)) return undefined;
    pool.lastUsed = now;
    this.#noteRequest(keyOf(principal, model), now);
    for (const allowance of [...pool.allowances]) {
      const carve = allowance.carve(est, now, randomUUID());
      if (carve === undefined) {
        // Too little left for this estimate: no more carving from it (it would still count as
        // one of the pool's open holds and keep a fresh one from being asked for); what is left
        // goes back once its runs are settled.
        if (allowance.usable(now)) {
          allowance.retire();
          this.#endIfDone(allowance);
        }
        continue;
      }
      this.#stats.carved++;
      // Ahead of need: the next hold is asked for while half of this one is left.
      const left = pool.allowances.reduce((sum, a) => sum + (a.usable(now) ? a.remainingNanos : 0n), 0n);
      if (left * 2n < allowance.size) this.#acquire(pool, principal, model, est, allowance.costOf(estimateTokens(est)));
      return carve;
    }
    return undefined;
  }

  /**
   * A per-request ReserveBudget of this principal and model was allowed (`reservationId`); its
   * statuses (after its hold) size a shared hold for the requests that follow, asked for in the
   * background. Its commit (`committed`) keeps that shared hold; its release (`abandon`) gives it
   * back if nothing was carved from it, so a refused or failed request leaves nothing held.
   */
  observe(reservationId: string, principal: Principal, model: Model, est: EstimateTokens, estimateNanos: bigint, statuses: readonly BudgetStatus[]): void {
    if (this.#closing) return;
    const key = keyOf(principal, model);
    const now = this.#opts.now();
    // A shared hold pays off only for a key whose requests come closer than idleMs: a slower
    // caller's hold would be released idle before its next request, three RPCs instead of one.
    const previous = this.#noteRequest(key, now);
    if (previous !== undefined && now - previous > this.#opts.idleMs) return;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      // At the cap, the least recently used idle pool makes room; with none idle this key stays per-request.
      if (this.#pools.size >= this.#opts.maxPools && !this.#evictOne(now)) return;
      pool = { tenantId: principal.tenantId, allowances: [], acquiring: undefined, pausedUntil: 0, disabled: false, statuses, releasing: new Set(), lastUsed: now };
      this.#pools.set(key, pool);
    }
    pool.lastUsed = now;
    pool.statuses = statuses;
    const acquiring = this.#acquire(pool, principal, model, est, estimateNanos);
    if (acquiring === undefined) return;
    // Entries leave on commit or release; a caller that does neither cannot grow this for ever.
    if (this.#triggered.size >= MAX_TRIGGERED) this.#triggered.delete(this.#triggered.keys().next().value!);
    this.#triggered.set(reservationId, { pool, acquiring });
  }

  /** The per-request hold `reservationId` was committed: the shared hold it started stays. */
  committed(reservationId: string): void {
    this.#triggered.delete(reservationId);
  }

  /**
   * The per-request hold `reservationId` was released (its request was refused or failed): the
   * shared hold it started goes back too unless something was carved from it meanwhile.
   * Resolves once it is released.
   */
  async abandon(reservationId: string): Promise<void> {
    const triggered = this.#triggered.get(reservationId);
    if (triggered === undefined) return;
    this.#triggered.delete(reservationId);
    const allowance = await triggered.acquiring;
    if (allowance === undefined || allowance.inFlight > 0 || allowance.remainingNanos !== allowance.size) return;
    allowance.retire();
    if (triggered.pool.allowances.includes(allowance)) await this.#release(triggered.pool, allowance);
  }

  /**
   * A per-request hold of this principal was refused: what its idle allowances still hold goes
   * back first (their running carves stay held until settled), so the budget refuses only what
   * it would refuse without allowances. True when something was given back (reserve again).
   */
  async yieldLeftovers(principal: Principal): Promise<boolean> {
    const prefix = [principal.tenantId, principal.userId, principal.apiKeyId, ''].join('\u0000');
    const releasing: Promise<void>[] = [];
    for (const [key, pool] of this.#pools) {
      if (!key.startsWith(prefix)) continue;
      pool.pausedUntil = this.#opts.now() + PAUSE_MS;
      for (const allowance of pool.allowances) {
        allowance.retire();
        // A usage still queued for settling does not hold it back: the release settles it first.
        if (allowance.remainingNanos > 0n && allowance.inFlight === 0) releasing.push(this.#release(pool, allowance));
      }
      // Holds already on their way back (e.g. retired when a request did not fit) count too.
      releasing.push(...pool.releasing);
    }
    await Promise.all(releasing);
    return releasing.length > 0;
  }

  /** The run did not complete: the carve goes back to its allowance. */
  release(carve: Carve): void {
    carve.allowance.release(carve);
    this.#endIfDone(carve.allowance);
  }

  /**
   * The run completed with `tokens`: books them against the carve's shared hold in the
   * background (grouped with other usages of the hold). `cost` is the exact cost at the quoted
   * price when the run used the hold's model; another model is priced by billing only
   * (`cost` undefined: await `settled`).
   */
  settle(carve: Carve, usage: { model: Model; tokens: TokenUsage; estimated: boolean; agentId: string; requestId: string }): { cost: bigint | undefined; settled: Promise<UsageSettlement> } {
    const allowance = carve.allowance;
    const tokens = { prompt: usage.tokens.promptTokens, completion: usage.tokens.completionTokens, cachedPrompt: usage.tokens.cachedPromptTokens, cacheWrite: usage.tokens.cacheWriteTokens, reasoning: usage.tokens.reasoningTokens };
    const capped = tokens.prompt + tokens.completion;
    const sameModel = usage.model.provider.toLowerCase() === allowance.model.provider.toLowerCase() && usage.model.model === allowance.model.model;
    const cost = sameModel ? allowance.costOf(tokens) : undefined;
    if (this.#closed) return { cost, settled: this.#lostAtClose(carve, usage.requestId) };
    if (cost !== undefined) allowance.finish(carve, cost, capped);
    const init: SettledUsageInit = {
      eventId: carve.eventId, provider: usage.model.provider, model: usage.model.model, tokens: usage.tokens, estimated: usage.estimated,
      occurTime: timestampFromDate(carve.occurTime), agentId: usage.agentId, requestId: usage.requestId,
    };
    const settled = this.#settlerOf(allowance).settle(init).then((s) => {
      this.#stats.settled++;
      if (cost === undefined) allowance.finish(carve, s.cost.amountNanos, capped);
      else if (s.cost.amountNanos !== cost) this.#repriced(allowance, cost, s.cost.amountNanos);
      return s;
    }, (err: unknown) => {
      // Lost: keep the estimate taken, billing holds it until the hold expires (never released).
      allowance.loseUsage();
      allowance.finish(carve, carve.nanos, carve.tokens);
      throw err;
    }).finally(() => this.#endIfDone(allowance));
    // The caller may never look at `settled`; a loss is reported to onSettleError either way.
    settled.catch(() => {});
    return { cost, settled };
  }

  /**
   * Stops carving, waits for running carves (up to closeTimeoutMs), settles what is pending and
   * releases every shared hold that lost no usage. A carve still running then is settled by
   * nobody: its settle() reports the usage lost (onSettleError, Canceled), and its hold expires.
   */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#sweeper);
    for (const pool of this.#pools.values()) for (const a of pool.allowances) a.retire();
    const deadline = this.#opts.now() + this.#opts.closeTimeoutMs;
    const running = () => [...this.#pools.values()].some((p) => p.allowances.some((a) => a.inFlight > 0));
    while (running() && this.#opts.now() < deadline) await sleep(10);
    this.#closed = true;
    await Promise.all([...this.#pools.values()].map((p) => p.acquiring));
    await Promise.all([...this.#settlers.values()].map((s) => s.flush()));
    for (const pool of this.#pools.values()) for (const a of [...pool.allowances]) if (this.#idle(a)) void this.#release(pool, a);
    while (this.#releasing.size > 0) await Promise.all([...this.#releasing]);
  }

  /** Asks for a shared hold in the background if the pool wants one; the acquisition started, if any. */
  #acquire(pool: Pool, principal: Principal, model: Model, est: EstimateTokens, estimateNanos: bigint): Promise<Allowance | undefined> | undefined {
    const now = this.#opts.now();
    if (this.#closing || pool.disabled || pool.acquiring !== undefined || now < pool.pausedUntil || this.#lossPaused(pool.tenantId, now)) return undefined;
    if (pool.allowances.filter((a) => a.usable(now)).length >= 2) return undefined;
    const requests = requestsPerHold(pool.statuses, estimateNanos, est.promptTokens + est.completionTokens, this.#opts);
    if (requests === 0) return undefined;
    const n = BigInt(requests);
    const promptTokens = est.promptTokens * n;
    const completionTokens = est.completionTokens * n;
    const acquiring = this.#reservations.reserveBudget({
      tenantId: principal.tenantId, userId: principal.userId, apiKeyId: principal.apiKeyId, requestId: `allowance:${randomUUID()}`, shared: true,
      estimatedUsage: { provider: model.provider, model: model.model, tokens: { promptTokens, completionTokens } },
      estimatedTokens: promptTokens + completionTokens, ttl: durationFromMs(this.#opts.ttlMs),
    }).then(async (res): Promise<Allowance | undefined> => {
      pool.statuses = res.statuses;
      if (!res.allowed || res.reservation === undefined) {
        pool.pausedUntil = this.#opts.now() + PAUSE_MS;
        return undefined;
      }
      const reservation = res.reservation;
      if (res.price === undefined || reservation.status !== ReservationStatus.HELD) {
        // A billing older than shared holds held a per-request reservation: give it back, never ask again.
        pool.disabled = true;
        await this.#reservations.releaseReservation({ tenantId: reservation.tenantId, reservationId: reservation.reservationId }).catch(() => {});
        return undefined;
      }
      const quote = quoteOf(res.price);
      const at = this.#opts.now();
      const priceUntil = res.priceValidUntil === undefined ? Infinity : timestampDate(res.priceValidUntil).getTime() - MARGIN_MS;
      const expireUntil = reservation.expireTime === undefined ? at : timestampDate(reservation.expireTime).getTime() - this.#opts.ttlMs / 2;
      const allowance = new Allowance(reservation, model, quote, Math.min(at + this.#opts.carveWindowMs, priceUntil, Math.max(expireUntil, at)), at);
      // The quote must price the hold to the nanos billing held, or local costs could differ from billing's.
      const mispriced = allowance.costOf({ prompt: promptTokens, completion: completionTokens, cachedPrompt: 0n, cacheWrite: 0n, reasoning: 0n }) !== allowance.size;
      // Closing, or a usage of this tenant was lost meanwhile: not used, so given back at once.
      if (mispriced || this.#closing || this.#lossPaused(pool.tenantId, at)) {
        pool.disabled ||= mispriced;
        await this.#reservations.releaseReservation({ tenantId: reservation.tenantId, reservationId: reservation.reservationId }).catch(() => {});
        return undefined;
      }
      pool.allowances.push(allowance);
      this.#poolOf.set(allowance, pool);
      this.#stats.acquired++;
      setTimeout(() => this.#endIfDone(allowance), Math.max(0, allowance.usableUntil - at) + 1).unref();
      return allowance;
    }, (): undefined => {
      pool.pausedUntil = this.#opts.now() + PAUSE_MS;
      return undefined;
    });
    pool.acquiring = acquiring.then(() => {}).finally(() => {
      pool.acquiring = undefined;
    });
    return acquiring;
  }

  /**
   * Billing priced a usage differently from the quote: the price changed after it (a new price
   * effective at once is not announced in the quote's validity). What is left follows billing's
   * hold, and no allowance quoted with that price carves any more (the next request reserves
   * and gets a fresh quote), so local costs and holds differ from billing's for the usages
   * carved before this answer only.
   */
  #repriced(allowance: Allowance, local: bigint, billed: bigint): void {
    this.#stats.repriced++;
    allowance.rebill(local, billed);
    const { priceId } = allowance.quote;
    for (const pool of this.#pools.values()) {
      for (const a of [...pool.allowances]) {
        if (a.quote.priceId !== priceId) continue;
        a.retire();
        if (a !== allowance) this.#endIfDone(a);
      }
    }
  }

  #settlerOf(allowance: Allowance): Settler {
    let settler = this.#settlers.get(allowance);
    if (settler === undefined) {
      const { tenantId, reservationId } = allowance.reservation;
      settler = new Settler({
        send: (usages) => {
          this.#stats.settleCalls++;
          return this.#reservations.settleUsage({ tenantId, reservationId, usages });
        },
        attempts: this.#opts.settleAttempts, initialBackoffMs: this.#opts.initialBackoffMs, maxBackoffMs: this.#opts.maxBackoffMs,
        onSettled: (res) => {
          // Billing settles this tenant's usage again: allowances may be used before the pause ends.
          this.#lossPause.delete(tenantId);
          if (res.budgetsChanged) this.#budgetsChanged(tenantId);
        },
        onLost: (err, usages) => {
          // Before the usages' promises reject: the release that waits for them must see the loss.
          allowance.loseUsage();
          this.#pauseAfterLoss(tenantId);
          this.#reportLost(err, reservationId, usages.map((u) => ({ eventId: u.eventId, requestId: u.requestId })));
        },
      });
      this.#settlers.set(allowance, settler);
    }
    return settler;
  }

  #reportLost(err: unknown, reservationId: string, lost: readonly { eventId: string; requestId: string }[]): void {
    this.#stats.lost += lost.length;
    if (this.#opts.onSettleError !== undefined) this.#opts.onSettleError(err, lost);
    else process.emitWarning(`@aegis/sdk: ${lost.length} usage(s) of shared hold ${reservationId} could not be settled (${String(err)}); event ids: ${lost.map((u) => u.eventId).join(', ')}`, 'AegisBudgetWarning');
  }

  /**
   * A run that ended after close() stopped waiting: its usage is not sent on connections being
   * closed, it is reported lost. Its hold was not released (the carve was running), so it
   * holds the estimate until it expires.
   */
  #lostAtClose(carve: Carve, requestId: string): Promise<UsageSettlement> {
    const { reservationId } = carve.allowance.reservation;
    carve.allowance.loseUsage();
    carve.allowance.finish(carve, carve.nanos, carve.tokens);
    const err = new ConnectError(
      `the SDK was closed before this run ended (close() waits closeTimeoutMs, ${this.#opts.closeTimeoutMs} ms): its usage was not settled and will not be booked; shared hold ${reservationId} keeps its estimate until it expires`,
      Code.Canceled);
    this.#reportLost(err, reservationId, [{ eventId: carve.eventId, requestId }]);
    const settled = Promise.reject(err);
    settled.catch(() => {});
    return settled;
  }

  #lossPaused(tenantId: string, now: number): boolean {
    const until = this.#lossPause.get(tenantId);
    return until !== undefined && now < until;
  }

  /**
   * A usage of this tenant was lost: billing does not settle (or refuses this usage for good).
   * No allowance of the tenant carves or is acquired for lossPauseMs, or until a settle of the
   * tenant succeeds, so requests take the per-request path and a failing commit is their error:
   * a billing that refuses settles cannot be drawn on unbooked without limit. What its
   * allowances hold goes back once settled (those that lost usage keep it until they expire).
   */
  #pauseAfterLoss(tenantId: string): void {
    this.#lossPause.set(tenantId, this.#opts.now() + this.#opts.lossPauseMs);
    this.#retireTenant(tenantId);
  }

  /**
   * Billing says the tenant's budgets changed since a hold was reserved (an admin lowered a
   * limit or added a budget): every allowance of the tenant stops carving and goes back once
   * settled, so the next requests reserve against the budgets as they are now.
   */
  #budgetsChanged(tenantId: string): void {
    this.#stats.budgetsChanged++;
    this.#retireTenant(tenantId);
  }

  #retireTenant(tenantId: string): void {
    for (const pool of this.#pools.values()) {
      if (pool.tenantId !== tenantId) continue;
      for (const a of [...pool.allowances]) {
        a.retire();
        this.#endIfDone(a);
      }
    }
  }

  /** Records a request of `key` at `now`; returns the previous one's time. */
  #noteRequest(key: string, now: number): number | undefined {
    const previous = this.#lastRequest.get(key);
    this.#lastRequest.delete(key);
    this.#lastRequest.set(key, now);
    if (this.#lastRequest.size > this.#opts.maxPools) this.#lastRequest.delete(this.#lastRequest.keys().next().value!);
    return previous;
  }

  /** Periodically: holds nothing was carved from for idleMs go back, ended pauses and empty pools go away. */
  #sweep(): void {
    const now = this.#opts.now();
    for (const [tenantId, until] of this.#lossPause) if (now >= until) this.#lossPause.delete(tenantId);
    for (const [key, pool] of this.#pools) {
      for (const a of [...pool.allowances]) {
        if (a.retired || now - a.lastCarveAt < this.#opts.idleMs) continue;
        a.retire();
        this.#endIfDone(a);
      }
      if (this.#removable(pool, now)) this.#pools.delete(key);
    }
  }

  /** Nothing held, acquired or released, and no pause in force: the pool can go (a later hold starts a fresh one). */
  #removable(pool: Pool, now: number): boolean {
    return pool.allowances.length === 0 && pool.acquiring === undefined && pool.releasing.size === 0 && !pool.disabled
      && now >= pool.pausedUntil && !this.#lossPaused(pool.tenantId, now);
  }

  /** Drops the least recently used removable pool; false when none is. */
  #evictOne(now: number): boolean {
    let oldest: [string, Pool] | undefined;
    for (const entry of this.#pools) {
      if (this.#removable(entry[1], now) && (oldest === undefined || entry[1].lastUsed < oldest[1].lastUsed)) oldest = entry;
    }
    if (oldest === undefined) return false;
    this.#pools.delete(oldest[0]);
    return true;
  }

  #idle(allowance: Allowance): boolean {
    return allowance.inFlight === 0 && (this.#settlers.get(allowance)?.pending ?? 0) === 0;
  }

  /** An allowance no longer carved from, with nothing running or pending, is released. */
  #endIfDone(allowance: Allowance): void {
    if (allowance.usable(this.#opts.now()) && !this.#closing) return;
    if (!this.#idle(allowance)) return;
    const pool = this.#poolOf.get(allowance);
    if (pool !== undefined) void this.#release(pool, allowance);
  }

  /**
   * Takes the allowance out of its pool and, once its pending usages are settled, gives the
   * hold back, unless a usage of it was lost: that hold is never released, so billing keeps its
   * estimate held until the hold expires at its TTL (releasing it would give back budget for
   * usage that is never booked).
   */
  #release(pool: Pool, allowance: Allowance): Promise<void> {
    pool.allowances = pool.allowances.filter((a) => a !== allowance);
    this.#poolOf.delete(allowance);
    const settler = this.#settlers.get(allowance);
    const { tenantId, reservationId } = allowance.reservation;
    const releasing = (async () => {
      await settler?.flush();
      this.#settlers.delete(allowance);
      if (allowance.lostUsage) return;
      await this.#reservations.releaseReservation({ tenantId, reservationId }).catch(() => {});
    })();
    this.#releasing.add(releasing);
    pool.releasing.add(releasing);
    void releasing.finally(() => {
      this.#releasing.delete(releasing);
      pool.releasing.delete(releasing);
    });
    return releasing;
  }
}
