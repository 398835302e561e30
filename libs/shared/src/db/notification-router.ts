import type { Logger } from '../logging/index.js';
import type { ListenOptions, NotificationHandler } from './sql-database.js';

interface Subscription {
  readonly handler: NotificationHandler;
  readonly onReconnect: (() => void) | undefined;
}

/**
 * Fan-out of NOTIFY payloads to in-process subscribers. Each engine keeps one LISTEN per
 * channel however many subscribers it has; this tracks who they are. A subscriber that
 * throws is logged and does not affect the others or the connection.
 */
export class NotificationRouter {
  private readonly channels = new Map<string, Set<Subscription>>();

  constructor(private readonly logger: Logger) {}

  /** Adds a subscriber; `first` says whether the engine must now LISTEN on the channel. */
  add(channel: string, handler: NotificationHandler, options: ListenOptions = {}): { subscription: Subscription; first: boolean } {
    const subscription: Subscription = { handler, onReconnect: options.onReconnect };
    let subscribers = this.channels.get(channel);
    const first = subscribers === undefined;
    if (!subscribers) {
      subscribers = new Set();
      this.channels.set(channel, subscribers);
    }
    subscribers.add(subscription);
    return { subscription, first };
  }

  /** Removes a subscriber; returns true when it was the channel's last (time to UNLISTEN). */
  remove(channel: string, subscription: Subscription): boolean {
    const subscribers = this.channels.get(channel);
    if (!subscribers?.delete(subscription)) return false;
    if (subscribers.size > 0) return false;
    this.channels.delete(channel);
    return true;
  }

  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  get channelNames(): string[] {
    return [...this.channels.keys()];
  }

  dispatch(channel: string, payload: string): void {
    for (const { handler } of this.channels.get(channel) ?? []) {
      this.safely(() => handler(payload), channel, 'notification handler failed');
    }
  }

  reconnected(): void {
    for (const [channel, subscribers] of this.channels) {
      for (const { onReconnect } of subscribers) {
        if (onReconnect) this.safely(onReconnect, channel, 'onReconnect hook failed');
      }
    }
  }

  // Handlers are typed as returning void, but an async function fits that type too; its
  // rejection must be logged here rather than surface as an unhandled rejection.
  private safely(fn: () => unknown, channel: string, message: string): void {
    const report = (err: unknown): void => this.logger.warn({ err, channel }, message);
    try {
      const result = fn();
      if (isThenable(result)) result.then(undefined, report);
    } catch (err) {
      report(err);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
