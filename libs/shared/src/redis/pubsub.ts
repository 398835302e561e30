import { NotificationRouter } from '../db/notification-router.js';
import { SerialQueue } from '../db/serial-queue.js';
import { createLogger } from '../logging/index.js';
import { closeRedis, createRedis, type RedisClientOptions } from './create-redis.js';

export interface SubscribeOptions {
  /**
   * Called after the subscriber connection came back. ioredis re-subscribes by itself, but
   * messages published meanwhile are lost: a cache should drop what it holds here.
   */
  onReconnect?: () => void;
}

/** Cache-invalidation style messaging: fire-and-forget, at most once, to whoever is subscribed now. */
export interface RedisPubSub {
  /** Returns how many subscriber connections received the message. */
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, handler: (message: string) => void, options?: SubscribeOptions): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * A connection in SUBSCRIBE mode can run nothing else, so pub/sub gets its own pair of
 * connections — `<name>` publishes, `<name>-sub` subscribes — separate from the
 * service's command client. `keyPrefix`, if given, is prepended to channel names (Redis
 * itself never prefixes channels), which keeps tests and tenants on one server apart.
 */
export function createRedisPubSub(opts: RedisClientOptions): RedisPubSub {
  const logger = opts.logger ?? createLogger({ service: 'aegis-redis', level: 'warn' });
  const prefix = opts.keyPrefix ?? '';
  const base = { url: opts.url, logger, commandTimeoutMs: opts.commandTimeoutMs };
  const publisher = createRedis({ ...base, name: opts.name });
  const subscriber = createRedis({ ...base, name: `${opts.name}-sub` });
  const router = new NotificationRouter(logger);
  // SUBSCRIBE/UNSUBSCRIBE in call order: a fast unsubscribe must not overtake the subscribe it undoes.
  const queue = new SerialQueue();

  subscriber.on('message', (channel: string, message: string) => router.dispatch(channel, message));
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (connectedBefore) router.reconnected();
    connectedBefore = true;
  });

  return {
    publish: (channel, message) => publisher.publish(prefix + channel, message),

    async subscribe(channel, handler, options) {
      const full = prefix + channel;
      const subscription = await queue.run(async () => {
        const added = router.add(full, handler, options);
        if (added.first) {
          try {
            await subscriber.subscribe(full);
          } catch (err) {
            router.remove(full, added.subscription);
            throw err;
          }
        }
        return added.subscription;
      });
      return () =>
        queue.run(async () => {
          if (router.remove(full, subscription)) await subscriber.unsubscribe(full);
        });
    },

    async close() {
      await Promise.all([closeRedis(publisher), closeRedis(subscriber)]);
    },
  };
}
