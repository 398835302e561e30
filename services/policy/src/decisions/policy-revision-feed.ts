import type { SnapshotCache } from '../store/index.js';

/** A tenant's revision once this instance decides with it. */
export interface PolicyRevision {
  tenantId: string;
  revision: bigint;
}

/** One watcher's view of the feed. */
export interface RevisionSubscription {
  /**
   * The revisions installed since the last call (newest per tenant, so a slow watcher holds at
   * most one entry per tenant); `[]` when `waitMs` passed without any; undefined once the
   * subscription ended (closed, the feed stopped, or `signal` aborted).
   */
  next(waitMs: number, signal: AbortSignal): Promise<PolicyRevision[] | undefined>;
  close(): void;
}

/**
 * Fans out the snapshot cache's installs to WatchPolicyChanges streams. An install is what
 * every instance sees, whether the change came by notification or by the periodic recheck,
 * and it comes after the instance's compiled set moved on (TenantPolicySets subscribed to the
 * cache first), so a watcher told of revision N is answered at N or later by this instance.
 */
export class PolicyRevisionFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly unsubscribe: () => void;
  private stopped = false;

  constructor(cache: Pick<SnapshotCache, 'onChange'>) {
    this.unsubscribe = cache.onChange((snapshot) => {
      for (const subscriber of this.subscribers) subscriber.offer(snapshot.tenantId, snapshot.policyVersion);
    });
  }

  get watchers(): number {
    return this.subscribers.size;
  }

  /** Revisions of `tenantId` only, or of every tenant when undefined. */
  subscribe(tenantId: string | undefined): RevisionSubscription {
    const subscriber = new Subscriber(tenantId, (s) => this.subscribers.delete(s));
    if (this.stopped) subscriber.close();
    else this.subscribers.add(subscriber);
    return subscriber;
  }

  /**
   * Ends every stream (the server drains: watchers reconnect to another instance rather than
   * hold this one open until the grace period runs out) and refuses new ones.
   */
  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const subscriber of [...this.subscribers]) subscriber.close();
  }
}

class Subscriber implements RevisionSubscription {
  private readonly pending = new Map<string, bigint>();
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly tenantId: string | undefined,
    private readonly onClose: (s: Subscriber) => void,
  ) {}

  offer(tenantId: string, revision: bigint): void {
    if (this.closed || (this.tenantId !== undefined && tenantId !== this.tenantId)) return;
    if (revision <= (this.pending.get(tenantId) ?? -1n)) return;
    this.pending.set(tenantId, revision);
    this.wake?.();
  }

  async next(waitMs: number, signal: AbortSignal): Promise<PolicyRevision[] | undefined> {
    if (this.pending.size === 0 && !this.closed && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        timer.unref();
        signal.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
    // An abandoned stream never reaches its generator's finally: end here too.
    if (signal.aborted) this.close();
    if (this.closed) return undefined;
    const revisions = [...this.pending].map(([tenantId, revision]) => ({ tenantId, revision }));
    this.pending.clear();
    return revisions;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.onClose(this);
    this.wake?.();
  }
}
