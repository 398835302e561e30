import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import type { LimitSelectorSchema, LimitStatus, RateLimitHeaders } from '@aegis/proto/aegis/ratelimit/v1/limit_pb.js';
import type { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import type { CheckResponse, RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { UsageRate, localHeaders, roomOf, topUpUnits } from './allowance-sizing.js';
import { IdleLeases, type SlotReuseOptions } from './idle-leases.js';

export type LimitSelectorInit = MessageInitShape<typeof LimitSelectorSchema>;

export interface RateAllowanceOptions {
  /** A top-up covers about this long of this process's use of the bucket (default 500 ms). */
  horizonMs?: number;
  /** ... and at most this share of the room the limiter's last answer left (default 0.1). */
  shareOfRoom?: number;
  /** Unused units go back (Refund) after this long without a request of the bucket (default 1 s). */
  idleMs?: number;
  /** Units taken longer ago than this are refunded instead of spent (default 2 s). */
  maxAgeMs?: number;
  /** Top-ups only while the limiter's last answer for the bucket is this recent (default 2 s). */
  answerMaxAgeMs?: number;
  /** Buckets remembered (default 10 000; the oldest go first, their units refunded). */
  maxEntries?: number;
  /** Deadline of a top-up Check and of a Refund (default 1000 ms). */
  timeoutMs?: number;
  /** Reuse of a freed concurrency lease by the next run of the same key (default on). */
  slotReuse?: SlotReuseOptions | false;
  now?: () => number;
}

/** A bucket as allowances know it: whose, which limits (the Check's selector), and its identity. */
export interface AllowanceBucket {
  tenantId: string;
  key: string;
  selector: LimitSelectorInit;
  id: string;
}

export interface RateAllowanceStats {
  buckets: number;
  /** Units taken from the limiter and not yet spent or refunded. */
  heldUnits: bigint;
  /** Requests admitted from an allowance, without an RPC. */
  localAdmits: number;
  /** Top-up Checks sent, and those that took units. */
  topUps: number;
  grantedTopUps: number;
  /** Units given back with Refund. */
  refundedUnits: bigint;
}

interface Grant {
  units: bigint;
  /** When its Check was sent: never later than the limiter took the units. */
  at: number;
}

interface Allowance {
  bucket: AllowanceBucket;
  grants: Grant[];
  balance: bigint;
  /** The limiter's last answer for the bucket, for local headers. */
  headers: RateLimitHeaders | undefined;
  limits: LimitStatus[];
  /** Room and burst of the last answer when it admitted and was not degraded; else no top-ups. */
  room?: { room: bigint; minBurst: bigint; at: number };
  rate: UsageRate;
  averageCost: number;
  lastUsedAt: number;
  toppingUp?: Promise<void>;
}

const limitsKeys = new WeakMap<object, string>();

function limitsKeyOf(limits: LimitSelectorInit['limits']): string {
  if (limits === undefined || limits.length === 0) return '';
  let key = limitsKeys.get(limits);
  if (key === undefined) {
    key = JSON.stringify(limits, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    limitsKeys.set(limits, key);
  }
  return key;
}

/**
 * Rate-limit allowances: units of a bucket taken from the limiter ahead of need (one Check with
 * a larger cost, in the background), spent here one request at a time without a round trip, and
 * refunded when unused. The limiter's own answers decide when: top-ups only while its last
 * answer, recent and not degraded, left ample room; a degraded answer drops the allowance, so
 * an outage is answered by the limiter's fallback exactly as without allowances. See
 * docs/sdk.md, "Rate-limit allowances", for what this does across processes.
 */
export class RateAllowances {
  readonly slots: IdleLeases | undefined;
  readonly #limits: Client<typeof RateLimitService>;
  readonly #entries = new Map<string, Allowance>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #o: Required<Omit<RateAllowanceOptions, 'slotReuse' | 'now'>>;
  readonly #now: () => number;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  readonly #stats = { localAdmits: 0, topUps: 0, grantedTopUps: 0, refundedUnits: 0n };

  constructor(limits: Client<typeof RateLimitService>, leases: Client<typeof LeaseService>, opts: RateAllowanceOptions = {}) {
    this.#limits = limits;
    this.#now = opts.now ?? Date.now;
    this.#o = {
      horizonMs: opts.horizonMs ?? 500,
      shareOfRoom: opts.shareOfRoom ?? 0.1,
      idleMs: opts.idleMs ?? 1000,
      maxAgeMs: opts.maxAgeMs ?? 2000,
      answerMaxAgeMs: opts.answerMaxAgeMs ?? 2000,
      maxEntries: opts.maxEntries ?? 10_000,
      timeoutMs: opts.timeoutMs ?? 1000,
    };
    this.slots = opts.slotReuse === false ? undefined : new IdleLeases(leases, { now: this.#now, ...opts.slotReuse });
  }

  /** The identity of (tenant, key, selector): one allowance each. */
  bucketOf(tenantId: string, key: string, selector: LimitSelectorInit): AllowanceBucket {
    const id = `${tenantId.length}:${tenantId}${key.length}:${key}|${selector.tier ?? 0}|${selector.limitSet ?? ''}|${limitsKeyOf(selector.limits)}`;
    return { tenantId, key, selector, id };
  }

  /** Spends `cost` from the bucket's allowance: the headers to answer with, or undefined when it does not cover it. */
  take(bucket: AllowanceBucket, cost: bigint): RateLimitHeaders | undefined {
    const a = this.#entries.get(bucket.id);
    if (a === undefined || cost < 1n || this.#closed) return undefined;
    const now = this.#now();
    this.#expire(a, now);
    if (a.balance < cost) return undefined;
    spend(a, cost);
    this.#stats.localAdmits++;
    this.#used(a, cost, now);
    return localHeaders(a.headers, a.limits, a.balance);
  }

  /** Learns the limiter's answer to a request's own Check of `cost`. */
  observe(bucket: AllowanceBucket, cost: bigint, res: CheckResponse): void {
    if (this.#closed || cost < 1n) return;
    const now = this.#now();
    let a = this.#entries.get(bucket.id);
    if (res.degraded) {
      if (a !== undefined) this.#forfeit(a);
      // The store may have lost the leases too: none is handed on until it answers again.
      this.slots?.releaseIdle();
      return;
    }
    a ??= this.#create(bucket, res, now);
    this.#learn(a, res, now);
    if (res.allowed) this.#used(a, cost, now);
  }

  /**
   * After the limiter refused a request: a top-up in flight may just have taken the units the
   * request was refused for. Waits for it and spends from it if it covers the request.
   */
  async afterRefusal(bucket: AllowanceBucket, cost: bigint): Promise<RateLimitHeaders | undefined> {
    const topping = this.#entries.get(bucket.id)?.toppingUp;
    if (topping === undefined) return undefined;
    await topping;
    return this.take(bucket, cost);
  }

  stats(): RateAllowanceStats {
    let heldUnits = 0n;
    for (const a of this.#entries.values()) heldUnits += a.balance;
    return { buckets: this.#entries.size, heldUnits, ...this.#stats };
  }

  /**
   * Refunds every unused unit and frees idle leases. Resolves when those calls are answered
   * (undefined when there is nothing to send), so the connections can close after them.
   */
  close(): Promise<void> | undefined {
    if (this.#closed) return undefined;
    this.#closed = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    for (const a of this.#entries.values()) {
      this.#refundUnits(a.bucket, a.balance);
      a.grants = [];
      a.balance = 0n;
      if (a.toppingUp !== undefined) this.#track(a.toppingUp);
    }
    this.#entries.clear();
    const slots = this.slots?.close();
    if (slots !== undefined) this.#track(slots);
    if (this.#pending.size === 0) return undefined;
    // A top-up answered after this refunds its units at once: wait for those refunds too.
    const drain = async (): Promise<void> => {
      while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    };
    return drain();
  }

  #create(bucket: AllowanceBucket, res: CheckResponse, now: number): Allowance {
    const a: Allowance = { bucket, grants: [], balance: 0n, headers: res.headers, limits: res.limits, rate: new UsageRate(now), averageCost: 0, lastUsedAt: now };
    this.#entries.set(bucket.id, a);
    if (this.#entries.size > this.#o.maxEntries) {
      const oldest = this.#entries.values().next().value!;
      this.#entries.delete(oldest.bucket.id);
      this.#refundUnits(oldest.bucket, oldest.balance);
    }
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(50, Math.min(this.#o.idleMs, this.#o.maxAgeMs) / 4));
    this.#sweeper.unref?.();
    return a;
  }

  #learn(a: Allowance, res: CheckResponse, now: number): void {
    if (res.headers !== undefined) a.headers = res.headers;
    a.limits = res.limits;
    const room = res.allowed ? roomOf(res.limits) : undefined;
    a.room = room === undefined ? undefined : { ...room, at: now };
  }

  #used(a: Allowance, cost: bigint, now: number): void {
    a.rate.add(cost, now);
    a.averageCost = a.averageCost === 0 ? Number(cost) : a.averageCost * 0.9 + Number(cost) * 0.1;
    a.lastUsedAt = now;
    this.#maybeTopUp(a, now);
  }

  #maybeTopUp(a: Allowance, now: number): void {
    if (a.toppingUp !== undefined || a.room === undefined || now - a.room.at > this.#o.answerMaxAgeMs) return;
    const units = topUpUnits(
      { ratePerSecond: a.rate.at(now), averageCost: a.averageCost, balance: a.balance, room: a.room.room, minBurst: a.room.minBurst },
      this.#o,
    );
    if (units === 0n) return;
    a.toppingUp = this.#topUp(a, units).finally(() => {
      a.toppingUp = undefined;
    });
  }

  // One Check for several requests' worth, off the request path. Never retried (the clients'
  // retry rule excludes Check): a lost answer loses at most these units, towards admitting less.
  async #topUp(a: Allowance, units: bigint): Promise<void> {
    const sentAt = this.#now();
    this.#stats.topUps++;
    let res: CheckResponse;
    try {
      res = await this.#limits.check({ tenantId: a.bucket.tenantId, key: a.bucket.key, cost: units, selector: a.bucket.selector }, { timeoutMs: this.#o.timeoutMs });
    } catch {
      a.room = undefined;
      return;
    }
    const live = !this.#closed && this.#entries.get(a.bucket.id) === a;
    if (res.degraded) {
      // Taken, if at all, from the limiter's local fallback, and not given back: had the store
      // come back meanwhile, a refund would credit the shared bucket with units it never gave.
      // The bucket's requests go to the limiter until it answers from its store again.
      this.#forfeit(a);
      return;
    }
    if (live) this.#learn(a, res, this.#now());
    if (!res.allowed) return;
    this.#stats.grantedTopUps++;
    if (!live) {
      this.#refundUnits(a.bucket, units);
      return;
    }
    a.grants.push({ units, at: sentAt });
    a.balance += units;
  }

  // The limiter could not use its store: drop what is held (not refunded: a refund now would
  // credit the fallback's local bucket with units taken from the shared one) and stop top-ups.
  #forfeit(a: Allowance): void {
    a.grants = [];
    a.balance = 0n;
    a.room = undefined;
  }

  #expire(a: Allowance, now: number): void {
    let stale = 0n;
    while (a.grants.length > 0 && now - a.grants[0]!.at > this.#o.maxAgeMs) stale += a.grants.shift()!.units;
    if (stale > 0n) {
      a.balance -= stale;
      this.#refundUnits(a.bucket, stale);
    }
  }

  #sweep(): void {
    const now = this.#now();
    for (const a of this.#entries.values()) {
      this.#expire(a, now);
      const idle = now - a.lastUsedAt;
      if (a.balance > 0n && idle >= this.#o.idleMs) {
        this.#refundUnits(a.bucket, a.balance);
        a.grants = [];
        a.balance = 0n;
      }
      if (a.balance === 0n && a.toppingUp === undefined && idle >= Math.max(this.#o.idleMs, this.#o.answerMaxAgeMs)) this.#entries.delete(a.bucket.id);
    }
    if (this.#entries.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  // Best effort: a refund that fails leaves the units taken until the bucket refills.
  #refundUnits(bucket: AllowanceBucket, units: bigint): void {
    if (units <= 0n) return;
    this.#stats.refundedUnits += units;
    this.#track(this.#limits.refund({ tenantId: bucket.tenantId, key: bucket.key, cost: units, selector: bucket.selector }, { timeoutMs: this.#o.timeoutMs }).catch(() => {}));
  }

  #track(p: Promise<unknown>): void {
    const tracked = p.then(() => {}, () => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

/** Spends the oldest units first, so the age bound refunds as little as possible. */
function spend(a: Allowance, cost: bigint): void {
  let left = cost;
  while (left > 0n) {
    const grant = a.grants[0]!;
    if (grant.units <= left) {
      left -= grant.units;
      a.grants.shift();
    } else {
      grant.units -= left;
      left = 0n;
    }
  }
  a.balance -= cost;
}
