import type { Client } from '@connectrpc/connect';
import type { Decision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { DecisionService, type WatchPolicyChangesResponse } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { WatchStream, watchMessageKind } from '../transport/watch-stream.js';
import { DecisionCache, type DecisionCacheLimits } from './decision-cache.js';
import { decisionKey, type CheckInput } from './decision-key.js';

/** `decisionCache` of createAegisClients / createAegis. */
export interface DecisionCacheOptions extends Omit<DecisionCacheLimits, 'now'> {
  /** First reconnect pause bound of the change stream (default 100 ms), doubling up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Largest reconnect pause bound (default 10 s); pauses are random below the bound. */
  maxBackoffMs?: number;
  /** Pause after policy refused the stream (no decision:check, or an older policy; default 60 s). */
  refusedBackoffMs?: number;
}

export interface DecisionCacheStats {
  /** Whether the change stream is live (and so the cache in use). */
  live: boolean;
  entries: number;
  hits: number;
  /** Checks sent to policy (a miss, a bypass, or a decision not offered for reuse). */
  misses: number;
}

type CallOptions = { signal?: AbortSignal };

function durationMs(d: { seconds: bigint; nanos: number } | undefined): number {
  return d === undefined ? 0 : Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

/**
 * DecisionService.Check with a local cache in front, kept honest by WatchPolicyChanges: an
 * entry lives for min(policy's cache_ttl, the local bound), goes as soon as the stream reports
 * a newer revision of its tenant, and the whole cache is used only while the stream is live
 * (on loss it is emptied and every call goes to policy until the stream is back). The stream
 * is opened on the first check, so clients that never authorize open nothing.
 */
export class CachedDecisions {
  readonly #decisions: Client<typeof DecisionService>;
  readonly #cache: DecisionCache;
  readonly #stream: WatchStream<WatchPolicyChangesResponse>;
  #started = false;
  #hits = 0;
  #misses = 0;

  constructor(decisions: Client<typeof DecisionService>, opts: DecisionCacheOptions = {}) {
    this.#decisions = decisions;
    this.#cache = new DecisionCache(opts);
    let scope: string | undefined;
    this.#stream = new WatchStream<WatchPolicyChangesResponse>({
      // No deadline: the stream stays open; liveness comes from heartbeats.
      open: (signal) => decisions.watchPolicyChanges({}, { signal, timeoutMs: 0 }),
      classify: (message) => {
        if (message.event.case === 'subscribed') scope = message.event.value.tenantId || undefined;
        return watchMessageKind(message.event);
      },
      onLive: () => this.#cache.open(scope),
      onEvent: (message) => {
        if (message.event.case === 'changed') this.#cache.changed(message.event.value.tenantId, message.event.value.revision);
      },
      onLost: () => this.#cache.close(),
      ...(opts.initialBackoffMs !== undefined ? { initialBackoffMs: opts.initialBackoffMs } : {}),
      ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
      ...(opts.refusedBackoffMs !== undefined ? { refusedBackoffMs: opts.refusedBackoffMs } : {}),
    });
  }

  /** The decision for `request`: from the cache while fresh and the stream live, else from policy. */
  async check(request: CheckInput, call: CallOptions = {}): Promise<Decision | undefined> {
    if (!this.#started) {
      this.#started = true;
      this.#stream.start();
    }
    const key = this.#cache.isOpen ? decisionKey(request) : undefined;
    if (key !== undefined) {
      const cached = this.#cache.get(request.tenantId, key);
      if (cached !== undefined) {
        this.#hits += 1;
        return cached;
      }
    }
    const ticket = this.#cache.ticket();
    this.#misses += 1;
    const res = await this.#decisions.check(request, call);
    if (key !== undefined && res.decision !== undefined) {
      this.#cache.set(request.tenantId, key, res.decision, durationMs(res.cacheTtl), ticket);
    }
    return res.decision;
  }

  stats(): DecisionCacheStats {
    return { live: this.#stream.live, entries: this.#cache.size, hits: this.#hits, misses: this.#misses };
  }

  /** Ends the change stream; later checks go to policy. */
  close(): Promise<void> {
    this.#cache.close();
    return this.#stream.close();
  }
}
