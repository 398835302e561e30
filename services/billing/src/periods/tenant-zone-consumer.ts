import { decodeEvent, TOPICS, type ConsumedEvent, type EventBus, type Logger, type SubscriptionHandle } from '@aegis/shared';
import { isValidTimeZone } from './period.js';
import type { TenantZone } from './tenant-zones.js';

export interface TenantZoneConsumerOptions {
  events: Pick<EventBus, 'subscribe'>;
  /** Stores a zone if newer (applyTenantZone); true when stored. */
  apply(zone: TenantZone): Promise<boolean>;
  /** Called after a zone was stored (announce it to every instance). */
  changed(tenantId: string): Promise<void>;
  /** Shared by every billing instance of one deployment (AEGIS_BILLING_TENANT_SETTINGS_GROUP). */
  groupId: string;
  logger: Logger;
  retry?: { initialDelayMs: number; maxDelayMs: number };
}

/** A consumed value as a tenant zone, "other" (not a settings event) or why it is unusable. */
export function tenantZoneOf(value: Uint8Array): { zone: TenantZone } | { other: true } | { problem: string; eventId?: string; tenantId?: string } {
  let event;
  try {
    event = decodeEvent(value);
  } catch (err) {
    return { problem: (err as Error).message };
  }
  if (event.payload.case !== 'tenantSettings') return { other: true };
  const settings = event.payload.value;
  const timeZone = settings.timeZone === '' ? 'UTC' : settings.timeZone;
  const ids = { eventId: event.id, tenantId: event.tenantId };
  if (settings.tenantId !== event.tenantId) return { problem: 'tenant_settings.tenant_id differs from the envelope tenant_id', ...ids };
  if (!isValidTimeZone(timeZone)) return { problem: `time_zone ${JSON.stringify(timeZone)} is not an IANA time zone`, ...ids };
  if (settings.version <= 0n) return { problem: 'tenant_settings.version must be positive', ...ids };
  return { zone: { tenantId: event.tenantId, timeZone, version: settings.version } };
}

/**
 * Reads auth's compacted aegis.tenants.v1 into `tenant_zones`, as policy's tenant settings
 * consumer does (docs/events.md): a new group starts from the oldest event, i.e. every
 * tenant's latest state; the highest version wins; an event billing cannot use is logged and
 * skipped (retrying it would block its partition for good); a database error rejects the batch
 * so the bus redelivers it. Joins in the background with retries, so billing serves (with the
 * zones it stored) while Kafka is unreachable.
 */
export class TenantZoneConsumer {
  readonly #retry: { initialDelayMs: number; maxDelayMs: number };
  #handle: SubscriptionHandle | undefined;
  #starting: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;

  constructor(private readonly opts: TenantZoneConsumerOptions) {
    this.#retry = opts.retry ?? { initialDelayMs: 1_000, maxDelayMs: 30_000 };
  }

  start(): void {
    this.#starting ??= this.#join();
  }

  async joined(): Promise<void> {
    await this.#starting;
  }

  /** Leaves the group; a join in flight is waited for (bounded), so it leaves before the bus closes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    if (this.#starting !== undefined) await settledWithin(this.#starting, JOIN_WAIT_ON_STOP_MS);
    await this.#handle?.stop();
  }

  async handleBatch(events: readonly ConsumedEvent[]): Promise<void> {
    const newest = new Map<string, TenantZone>();
    for (const consumed of events) {
      const read = tenantZoneOf(consumed.value);
      if ('problem' in read) {
        this.opts.logger.warn({ eventId: read.eventId, tenantId: read.tenantId ?? consumed.key, partition: consumed.partition, offset: consumed.offset, problem: read.problem },
          'tenant settings event skipped: billing cannot use it, the tenant keeps its previous time zone');
      } else if ('zone' in read) {
        const known = newest.get(read.zone.tenantId);
        if (known === undefined || read.zone.version > known.version) newest.set(read.zone.tenantId, read.zone);
      }
    }
    for (const zone of newest.values()) {
      if (!(await this.opts.apply(zone))) continue;
      this.opts.logger.info({ tenantId: zone.tenantId, version: String(zone.version), timeZone: zone.timeZone }, 'tenant time zone applied');
      await this.opts.changed(zone.tenantId);
    }
  }

  async #join(): Promise<void> {
    let delay = this.#retry.initialDelayMs;
    while (!this.#stopped) {
      try {
        const handle = await this.opts.events.subscribe({ groupId: this.opts.groupId, topics: [TOPICS.tenants], fromBeginning: true, handleBatch: (events) => this.handleBatch(events) });
        if (this.#stopped) {
          await handle.stop().catch((err: unknown) => this.opts.logger.warn({ err }, 'tenant zone consumer did not leave its group cleanly'));
          return;
        }
        this.#handle = handle;
        return;
      } catch (err) {
        this.opts.logger.warn({ err, groupId: this.opts.groupId, retryInMs: delay }, 'tenant zone consumer could not join; periods use the stored zones until it does');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, delay);
          function done(): void {
            clearTimeout(timer);
            resolve();
          }
          this.#wake = done;
        });
        delay = Math.min(delay * 2, this.#retry.maxDelayMs);
      }
    }
  }
}

/** How long stop() waits for a join in flight (a shutdown step should not take longer). */
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
