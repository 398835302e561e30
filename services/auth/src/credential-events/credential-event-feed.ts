import type { CredentialEvent, CredentialEvents, HealthRegistry, Logger } from '@aegis/shared';
import { inScope, type WatchScope } from './domain/watch-scope.js';

/** Why a watcher's stream ends without an error of the watcher's making. */
export type WatchEnd =
  /** Auth's own subscription had a gap (pub/sub reconnected): events may be lost. */
  | 'gap'
  /** The watcher did not keep up. */
  | 'overflow'
  /** Auth is draining or stopping. */
  | 'closed';

export type WatchNext = { kind: 'event'; event: CredentialEvent } | { kind: 'idle' } | { kind: 'end'; why: WatchEnd };

/** One watch stream's view of the feed: its events in order, bounded. */
export interface Watcher {
  /** The next event, `idle` after `idleMs` without one, or the end of the stream. */
  next(idleMs: number): Promise<WatchNext>;
  close(): void;
}

/**
 * One subscription to the platform's credential events, fanned out to every watch stream of
 * this instance (a Redis subscriber per stream would not scale). Any doubt about what was
 * delivered (a reconnect, a slow reader, a drain) ends the streams concerned: their callers
 * drop what they cached and subscribe again, which is always safe.
 */
export class CredentialEventFeed {
  readonly #watchers = new Set<QueuedWatcher>();
  #unsubscribe: (() => Promise<void>) | undefined;
  #stopHealth: (() => void) | undefined;
  #closed = false;

  constructor(private readonly deps: { events: CredentialEvents; health: Pick<HealthRegistry, 'draining' | 'onChange'>; logger: Logger; bufferSize: number }) {}

  async start(): Promise<void> {
    this.#unsubscribe = await this.deps.events.subscribe((event) => {
      for (const watcher of this.#watchers) watcher.offer(event);
    }, {
      onReconnect: () => {
        this.deps.logger.warn({ watchers: this.#watchers.size }, 'credential events: subscription reconnected; ending watch streams (events may have been missed)');
        this.#endAll('gap');
      },
    });
    // Ends the streams as soon as the server drains, so callers move to another instance
    // instead of holding this one open until the grace period is over.
    this.#stopHealth = this.deps.health.onChange(() => {
      if (this.deps.health.draining) this.#endAll('closed');
    });
  }

  /** Whether new watchers are accepted (not while draining or stopped). */
  get open(): boolean {
    return !this.#closed && !this.deps.health.draining;
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  /** A watcher of `scope`, registered now: it receives every event published from here on. */
  watch(scope: WatchScope, signal: AbortSignal): Watcher {
    const watcher = new QueuedWatcher(scope, this.deps.bufferSize, () => this.#watchers.delete(watcher));
    this.#watchers.add(watcher);
    if (!this.open) watcher.end('closed');
    // A client that goes away stops pulling without returning the stream: no finally runs.
    signal.addEventListener('abort', () => watcher.close(), { once: true });
    return watcher;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHealth?.();
    this.#endAll('closed');
    await this.#unsubscribe?.();
  }

  #endAll(why: WatchEnd): void {
    for (const watcher of this.#watchers) watcher.end(why);
  }
}

class QueuedWatcher implements Watcher {
  readonly #queue: CredentialEvent[] = [];
  #ended: WatchEnd | undefined;
  #wake: (() => void) | undefined;

  constructor(private readonly scope: WatchScope, private readonly max: number, private readonly onClose: () => void) {}

  offer(event: CredentialEvent): void {
    if (this.#ended !== undefined || !inScope(this.scope, event)) return;
    if (this.#queue.length >= this.max) {
      this.end('overflow');
      return;
    }
    this.#queue.push(event);
    this.#wake?.();
  }

  end(why: WatchEnd): void {
    // Queued events are dropped: the caller clears everything it cached when the stream ends.
    this.#ended ??= why;
    this.#wake?.();
  }

  async next(idleMs: number): Promise<WatchNext> {
    if (this.#ended !== undefined) return { kind: 'end', why: this.#ended };
    const queued = this.#queue.shift();
    if (queued !== undefined) return { kind: 'event', event: queued };
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, idleMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
    if (this.#ended !== undefined) return { kind: 'end', why: this.#ended };
    const event = this.#queue.shift();
    return event === undefined ? { kind: 'idle' } : { kind: 'event', event };
  }

  close(): void {
    this.end('closed');
    this.onClose();
  }
}
