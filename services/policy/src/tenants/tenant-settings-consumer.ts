import { TOPICS, type ConsumedEvent, type EventBus, type Logger, type SubscriptionHandle } from '@aegis/shared';
import { newestPerTenant, readTenantSettings, type TenantSettings } from './tenant-settings.js';
import type { TenantSettingsWriter } from './tenant-settings-store.js';

export interface TenantSettingsConsumerOptions {
  events: Pick<EventBus, 'subscribe'>;
  writer: TenantSettingsWriter;
  /** Shared by every instance of one deployment (AEGIS_POLICY_TENANT_SETTINGS_GROUP). */
  groupId: string;
  logger: Logger;
  /** Backoff between failed joins (defaults 1 s doubling to 30 s). */
  retry?: { initialDelayMs: number; maxDelayMs: number };
  /** How long stop() waits for a join in flight (default 10 s). */
  joinWaitOnStopMs?: number;
}

/**
 * Reads auth's aegis.tenants.v1 into `tenant_settings`. A new group starts from the oldest
 * event, which on the compacted topic is every tenant's latest state. Positions are
 * committed after a batch is stored; a database failure rejects the batch so the bus
 * delivers it again. An event policy cannot use (not an Event, an unknown time zone, bad
 * hours) is logged and skipped, never retried: it would block its partition for good, and
 * the tenant keeps the settings it had (or the engine's default).
 *
 * Joining happens in the background with retries, so policy starts and decides while Kafka
 * is unreachable, from the settings it already stored.
 */
export class TenantSettingsConsumer {
  readonly #retry: { initialDelayMs: number; maxDelayMs: number };
  #handle: SubscriptionHandle | undefined;
  #starting: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;

  constructor(private readonly opts: TenantSettingsConsumerOptions) {
    this.#retry = opts.retry ?? { initialDelayMs: 1_000, maxDelayMs: 30_000 };
  }

  /** Starts joining the group; `joined()` resolves once it has. */
  start(): void {
    this.#starting ??= this.#join();
  }

  /** Resolves once the consumer is in its group (or stopped before it got there). */
  async joined(): Promise<void> {
    await this.#starting;
  }

  /**
   * Leaves the group. A join still in flight is waited for, up to `joinWaitOnStopMs`, so that
   * it leaves before the event bus closes (a join that lands later would touch a closed bus).
   * On Kafka a join can last as long as the group's rebalance, which a member that died
   * without leaving stretches to its session timeout: past the bound it leaves by itself as
   * soon as it lands.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    if (this.#starting !== undefined) await settledWithin(this.#starting, this.opts.joinWaitOnStopMs ?? JOIN_WAIT_ON_STOP_MS);
    await this.#handle?.stop();
  }

  /** One batch of one partition, in offset order. Exposed for tests. */
  async handleBatch(events: readonly ConsumedEvent[]): Promise<void> {
    const usable: TenantSettings[] = [];
    for (const consumed of events) {
      const result = readTenantSettings(consumed.value);
      if (result.kind === 'settings') usable.push(result.settings);
      else if (result.kind === 'invalid') {
        this.opts.logger.warn(
          { eventId: result.eventId, tenantId: result.tenantId ?? consumed.key, partition: consumed.partition, offset: consumed.offset, problems: result.problems },
          'tenant settings event skipped: policy cannot use it, the tenant keeps its previous business hours',
        );
      }
    }
    // Rebuilding from the beginning may bring many versions of one tenant: only the newest matters.
    for (const settings of newestPerTenant(usable)) {
      const applied = await this.opts.writer.apply(settings);
      if (applied) {
        this.opts.logger.info({ tenantId: settings.tenantId, version: String(settings.version), timeZone: settings.businessHours.timeZone }, 'tenant settings applied');
      }
    }
  }

  async #join(): Promise<void> {
    let delay = this.#retry.initialDelayMs;
    while (!this.#stopped) {
      try {
        const handle = await this.opts.events.subscribe({
          groupId: this.opts.groupId,
          topics: [TOPICS.tenants],
          fromBeginning: true,
          handleBatch: (events) => this.handleBatch(events),
        });
        if (this.#stopped) {
          await handle.stop().catch((err: unknown) => this.opts.logger.warn({ err }, 'tenant settings consumer did not leave its group cleanly'));
          return;
        }
        this.#handle = handle;
        this.opts.logger.info({ groupId: this.opts.groupId, topic: TOPICS.tenants }, 'tenant settings consumer joined');
        return;
      } catch (err) {
        this.opts.logger.warn({ err, groupId: this.opts.groupId, retryInMs: delay }, 'tenant settings consumer could not join; business hours stay as stored until it does');
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#retry.maxDelayMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** Default of `joinWaitOnStopMs` (a shutdown step should not take longer). */
const JOIN_WAIT_ON_STOP_MS = 10_000;

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}
