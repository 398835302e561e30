// A server stream the SDK keeps open for as long as it runs (policy changes, credential
// events), telling its owner whether it is live right now. "Live" means: the server said
// `subscribed` and has not been silent for longer than `silenceFactor` heartbeat intervals
// since. Anything else (not yet subscribed, ended, failed, silent, closed) is not live, and a
// cache that relies on the stream for invalidation must neither answer nor fill while so.
import { Code, ConnectError } from '@connectrpc/connect';

// Answers that another attempt soon will not change: the key lacks the permission, or the
// server predates the RPC. Retried rarely; the owner works without the stream meanwhile.
const REFUSALS = new Set([Code.PermissionDenied, Code.Unauthenticated, Code.Unimplemented]);

/** What one message of the stream is. */
export type WatchMessageKind =
  | { kind: 'subscribed'; heartbeatMs: number }
  | { kind: 'heartbeat' }
  | { kind: 'event' };

/**
 * The kind of a message of any Aegis watch stream: each has an `event` oneof with `subscribed`
 * (carrying `heartbeat_interval`; `defaultHeartbeatMs` when absent), `heartbeat`, and the
 * stream's own events.
 */
export function watchMessageKind(event: { case: string | undefined; value?: unknown }, defaultHeartbeatMs = 5_000): WatchMessageKind {
  if (event.case === 'subscribed') {
    const interval = (event.value as { heartbeatInterval?: { seconds: bigint; nanos: number } } | undefined)?.heartbeatInterval;
    const ms = interval === undefined ? 0 : Number(interval.seconds) * 1000 + Math.ceil(interval.nanos / 1e6);
    return { kind: 'subscribed', heartbeatMs: ms > 0 ? Math.max(100, ms) : defaultHeartbeatMs };
  }
  return event.case === 'heartbeat' ? { kind: 'heartbeat' } : { kind: 'event' };
}

export interface WatchStreamOptions<M> {
  /** Opens the stream; the signal ends it (pass it to the client call with `timeoutMs: 0`). */
  open(signal: AbortSignal): AsyncIterable<M>;
  classify(message: M): WatchMessageKind;
  /** An event of a live stream, in order. */
  onEvent(message: M): void;
  /** The stream became live (after each `subscribed`). */
  onLive?(): void;
  /** The stream stopped being live; events in between may be lost. Not called after `close`. */
  onLost?(reason: unknown): void;
  /** First reconnect pause bound (default 100 ms); doubles per failed attempt. */
  initialBackoffMs?: number;
  /** Largest reconnect pause bound (default 10 s). */
  maxBackoffMs?: number;
  /** Pause after a refusal (PermissionDenied, Unauthenticated, Unimplemented; default 60 s). */
  refusedBackoffMs?: number;
  /** Silent for this many heartbeat intervals: dead (default 3). */
  silenceFactor?: number;
  /** How long to wait for `subscribed` after opening (default 10 s). */
  subscribeTimeoutMs?: number;
  random?: () => number;
}

/** Thrown into a stream that fell silent. */
export class WatchStreamSilentError extends Error {
  constructor(ms: number) {
    super(`no message for ${ms} ms`);
    this.name = 'WatchStreamSilentError';
  }
}

/**
 * Keeps one server stream open, reconnecting with exponential backoff and full jitter (so
 * that every SDK process does not come back at the same instant after a restart), until
 * `close()`. The attempt counter resets once a stream is live again.
 */
export class WatchStream<M> {
  readonly #opts: WatchStreamOptions<M>;
  #live = false;
  #closed = false;
  #current: AbortController | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: WatchStreamOptions<M>) {
    this.#opts = opts;
  }

  /** Whether the stream is subscribed and heard from within its silence bound. */
  get live(): boolean {
    return this.#live;
  }

  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  /** Ends the stream and stops reconnecting; resolves once the loop has stopped. */
  close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    this.#current?.abort(new Error('closed'));
    this.#wake?.();
    return this.#loop ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#closed) {
      const { becameLive, reason } = await this.#once();
      if (this.#closed) return;
      attempt = becameLive ? 1 : attempt + 1;
      const refused = reason instanceof ConnectError && REFUSALS.has(reason.code);
      await this.#pause(refused ? this.#opts.refusedBackoffMs ?? 60_000 : this.#backoff(attempt));
    }
  }

  /** One stream, from open to its end: whether it was live at some point, and why it ended. */
  async #once(): Promise<{ becameLive: boolean; reason: unknown }> {
    const controller = new AbortController();
    this.#current = controller;
    let becameLive = false;
    let silenceMs = this.#opts.subscribeTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new WatchStreamSilentError(silenceMs)), silenceMs);
      timer.unref?.();
    };
    let reason: unknown = new Error('the stream ended');
    try {
      arm();
      for await (const message of this.#opts.open(controller.signal)) {
        if (this.#closed) break;
        const what = this.#opts.classify(message);
        if (what.kind === 'subscribed') {
          silenceMs = Math.max(1, what.heartbeatMs) * (this.#opts.silenceFactor ?? 3);
          becameLive = true;
          this.#live = true;
          arm();
          this.#opts.onLive?.();
          continue;
        }
        arm();
        if (what.kind === 'event' && this.#live) this.#opts.onEvent(message);
      }
    } catch (err) {
      reason = controller.signal.aborted ? controller.signal.reason : ConnectError.from(err);
    } finally {
      clearTimeout(timer);
      controller.abort(reason);
      this.#live = false;
      if (!this.#closed) this.#opts.onLost?.(reason);
    }
    return { becameLive, reason };
  }

  #backoff(attempt: number): number {
    const initial = this.#opts.initialBackoffMs ?? 100;
    const max = this.#opts.maxBackoffMs ?? 10_000;
    const bound = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
    return Math.floor((this.#opts.random ?? Math.random)() * bound);
  }

  #pause(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      timer.unref?.();
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
    });
  }
}
