import pg from 'pg';
import type { Logger } from '../logging/index.js';
import { quoteIdentifier } from './identifiers.js';
import { NotificationRouter } from './notification-router.js';
import { SerialQueue } from './serial-queue.js';
import { DatabaseUsageError, type ListenOptions, type NotificationHandler } from './sql-database.js';

const RECONNECT_BASE_MS = 100;
const RECONNECT_CAP_MS = 5_000;

/**
 * LISTEN needs a session that stays open: a pooled connection goes back to the pool and
 * its subscriptions with it. So notifications get one dedicated connection, opened on the
 * first `listen`, re-opened with capped exponential back-off when the server drops it,
 * re-subscribing every channel and then telling subscribers (`onReconnect`) that they may
 * have missed payloads.
 */
export class PostgresNotificationListener {
  private readonly router: NotificationRouter;
  // LISTEN/UNLISTEN/connect/reconnect run one at a time, so a reconnect never races a
  // subscription and there is never more than one listening connection.
  private readonly queue = new SerialQueue();
  private client: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly logger: Logger,
  ) {
    this.router = new NotificationRouter(logger);
  }

  async listen(channel: string, handler: NotificationHandler, options?: ListenOptions): Promise<() => Promise<void>> {
    const name = quoteIdentifier('channel', channel);
    const subscription = await this.queue.run(async () => {
      if (this.closed) throw new DatabaseUsageError('db.listen() called after close()');
      // Lost connection, reconnect not yet done: restore the existing subscribers first,
      // or a fresh connection made for this channel alone would leave them deaf.
      if (!this.client && this.router.channelNames.length > 0) await this.reopen();
      const added = this.router.add(channel, handler, options);
      if (!added.first) return added.subscription;
      try {
        const client = this.client ?? (await this.connect());
        await client.query(`LISTEN ${name}`);
      } catch (err) {
        this.router.remove(channel, added.subscription);
        throw err;
      }
      return added.subscription;
    });
    return () =>
      this.queue.run(async () => {
        if (this.router.remove(channel, subscription)) await this.client?.query(`UNLISTEN ${name}`);
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.queue.run(async () => {
      const client = this.client;
      this.client = undefined;
      await client?.end().catch(() => undefined);
    });
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    const lost = (err?: Error): void => this.connectionLost(client, err);
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => this.router.dispatch(message.channel, message.payload ?? ''));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  private connectionLost(client: pg.Client, err: Error | undefined): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.logger.warn({ err }, 'postgres notification connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const delay = Math.min(RECONNECT_BASE_MS * 2 ** this.reconnectAttempt, RECONNECT_CAP_MS);
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.queue.run(() => this.resubscribe()).catch((err: unknown) => {
        this.logger.warn({ err, attempt: this.reconnectAttempt }, 'postgres notification reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  private async resubscribe(): Promise<void> {
    if (this.closed || this.client || this.router.channelNames.length === 0) return;
    await this.reopen();
  }

  private async reopen(): Promise<void> {
    const client = await this.connect();
    try {
      for (const channel of this.router.channelNames) await client.query(`LISTEN ${quoteIdentifier('channel', channel)}`);
    } catch (err) {
      this.client = undefined;
      await client.end().catch(() => undefined);
      throw err;
    }
    this.reconnectAttempt = 0;
    this.logger.info({ channels: this.router.channelNames }, 'postgres notification connection restored');
    this.router.reconnected();
  }
}
