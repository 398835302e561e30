import { costNanos, ZERO_TOKENS, type TokenPrices, type Tokens } from '@aegis/pricing';
import type { Reservation } from '@aegis/proto/aegis/billing/v1/budget_pb.js';

/** The price billing quoted for a shared hold: what the SDK prices the hold's usage with. */
export interface PriceQuote {
  priceId: string;
  currency: string;
  prices: TokenPrices;
}

/** One request's estimate, as carved from an allowance. */
export interface EstimateTokens {
  promptTokens: bigint;
  completionTokens: bigint;
}

/** What one request took from an allowance; given back whole on release, adjusted to the actual cost on finish. */
export interface Carve {
  readonly allowance: Allowance;
  readonly nanos: bigint;
  readonly tokens: bigint;
  /** When the usage happened for billing: the carve's time, inside the quote's validity. */
  readonly occurTime: Date;
  /** The settle's event id (SDK-generated UUID, the UsageEvent id). */
  readonly eventId: string;
  done: boolean;
}

export function estimateTokens(est: EstimateTokens): Tokens {
  return { ...ZERO_TOKENS, prompt: est.promptTokens, completion: est.completionTokens };
}

/**
 * One shared hold (ReserveBudget with shared = true) and what is left of it, kept in the same
 * numbers billing keeps: nanos at the quoted price and tokens. A carve takes a request's
 * estimate; when its actual usage is known the difference goes back (or is taken), exactly
 * as SettleUsage shrinks the hold by the actual cost, so what this allows never exceeds what
 * billing holds. Pure bookkeeping: no I/O, no timers.
 */
export class Allowance {
  #nanos: bigint;
  #tokens: bigint;
  #inFlight = 0;
  #retired = false;
  #lostUsage = false;
  #lastCarveAt: number;

  constructor(
    readonly reservation: Reservation,
    /** The model the hold was priced for: only its usage is priced with the quote. */
    readonly model: { provider: string; model: string },
    readonly quote: PriceQuote,
    /** Carving stops at this time (ms): the carve window's end, or just before the next price change. */
    readonly usableUntil: number,
    /** When the hold was acquired (ms): it counts as a carve for the idle release. */
    acquiredAt: number,
  ) {
    this.#nanos = reservation.amount?.amountNanos ?? 0n;
    this.#tokens = reservation.tokens;
    this.#lastCarveAt = acquiredAt;
  }

  get size(): bigint {
    return this.reservation.amount?.amountNanos ?? 0n;
  }

  get remainingNanos(): bigint {
    return this.#nanos;
  }

  get remainingTokens(): bigint {
    return this.#tokens;
  }

  /** Carves still running (taken, neither finished nor released). */
  get inFlight(): number {
    return this.#inFlight;
  }

  get retired(): boolean {
    return this.#retired;
  }

  /** The time (ms) of the latest carve, or of the acquisition when none yet. */
  get lastCarveAt(): number {
    return this.#lastCarveAt;
  }

  /**
   * A usage carved from it could not be settled: the hold is never given back (billing holds
   * that usage's estimate until the hold expires at its TTL), and nothing more is carved from it.
   */
  get lostUsage(): boolean {
    return this.#lostUsage;
  }

  /** No further carving; what is held stays until released. */
  retire(): void {
    this.#retired = true;
  }

  /** A usage of this hold was lost: see `lostUsage`. */
  loseUsage(): void {
    this.#lostUsage = true;
    this.#retired = true;
  }

  usable(now: number): boolean {
    return !this.#retired && now < this.usableUntil;
  }

  /** The estimate's cost at the quoted price. */
  costOf(tokens: Tokens): bigint {
    return costNanos(tokens, this.quote.prices);
  }

  /** Takes the estimate if it fits what is left; undefined when it does not. */
  carve(est: EstimateTokens, now: number, eventId: string): Carve | undefined {
    if (!this.usable(now)) return undefined;
    const nanos = this.costOf(estimateTokens(est));
    const tokens = est.promptTokens + est.completionTokens;
    if (nanos > this.#nanos || tokens > this.#tokens) return undefined;
    this.#nanos -= nanos;
    this.#tokens -= tokens;
    this.#inFlight++;
    this.#lastCarveAt = now;
    return { allowance: this, nanos, tokens, occurTime: new Date(now), eventId, done: false };
  }

  /** The run did not complete: the carve goes back whole. */
  release(carve: Carve): void {
    if (carve.done) return;
    carve.done = true;
    this.#nanos += carve.nanos;
    this.#tokens += carve.tokens;
    this.#inFlight--;
  }

  /**
   * Billing booked `billed` for a usage finished here at `local`: its price changed after the
   * quote (a price made effective at once). What is left follows billing's hold.
   */
  rebill(local: bigint, billed: bigint): void {
    this.#nanos += local - billed;
  }

  /** The run used `nanos` and `tokens` (its settle books exactly these against the hold). */
  finish(carve: Carve, nanos: bigint, tokens: bigint): void {
    if (carve.done) return;
    carve.done = true;
    this.#nanos += carve.nanos - nanos;
    this.#tokens += carve.tokens - tokens;
    this.#inFlight--;
  }
}
