import { EventEmitter } from 'node:events';
import type { Logger } from '../logging/index.js';
import { createRedisPubSub, type RedisPubSub } from '../redis/index.js';
import type { Broadcast } from './ports.js';

/** Redis pub/sub: every instance subscribed to the channel receives the message. */
export class RedisBroadcast implements Broadcast {
  readonly #pubsub: RedisPubSub;

  constructor(opts: { url: string; name: string; keyPrefix?: string; logger?: Logger }) {
    this.#pubsub = createRedisPubSub(opts);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#pubsub.publish(channel, message);
  }

  async subscribe(channel: string, handler: (message: string) => void, opts: { onReconnect?: () => void } = {}): Promise<() => Promise<void>> {
    const unsubscribe = await this.#pubsub.subscribe(channel, handler, opts);
    return async () => { await unsubscribe(); };
  }

  close(): Promise<void> {
    return this.#pubsub.close();
  }
}

/** One process: an in-process emitter with the same interface. */
export class MemoryBroadcast implements Broadcast {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: string): Promise<void> {
    // Asynchronous like a network hop, so publishers never run subscribers' code inline.
    queueMicrotask(() => this.#emitter.emit(channel, message));
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    this.#emitter.on(channel, handler);
    return async () => { this.#emitter.off(channel, handler); };
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}
