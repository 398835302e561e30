import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { ActorInit, EventPublisher, Logger } from '@aegis/shared';
import type { StoredTenant } from './domain/tenant.js';
import type { TenantStore } from './ports.js';
import { AUTH_SERVICE_ACTOR, tenantSettingsEvent } from './tenant-settings-event.js';

export interface TenantSettingsFeedOptions {
  publisher: Pick<EventPublisher, 'publish'>;
  logger: Logger;
  /** Backoff between failed publishes (defaults 200 ms doubling to 30 s). */
  retry?: { initialDelayMs: number; maxDelayMs: number };
}

interface Pending {
  version: bigint;
  event: Event;
}

// Events per publish call: one produce request, well under Kafka's 1 MiB message limit each.
const BATCH = 500;
const PAGE = 500;
// Below the runtime's 5 s bound on a shutdown step.
const CLOSE_WAIT_MS = 2_000;

/**
 * Puts every tenant's current settings on aegis.tenants.v1 (docs/events.md): after each
 * committed change, and for every tenant once at start-up, so that consumers of a deployment
 * that predates the topic (or that missed an event while Kafka was down) converge.
 *
 * A change is already committed when it is offered, so it must not be lost to a failed
 * publish: the feed retries with backoff until it succeeds or the service stops. Publishing
 * is serial and keeps only the highest version per tenant, so within this process a
 * tenant's events reach the topic in version order and the compacted topic keeps the newest.
 * (Two auth replicas changing one tenant at the same moment can still publish out of order;
 * consumers keep the highest version, and the next start-up republish repairs the topic.)
 */
export class TenantSettingsFeed {
  readonly #pending = new Map<string, Pending>();
  // Highest version published per tenant: a start-up page read before a change must not
  // publish its older state after the change's.
  readonly #published = new Map<string, bigint>();
  readonly #retry: { initialDelayMs: number; maxDelayMs: number };
  #draining: Promise<void> | undefined;
  #republishing: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(private readonly opts: TenantSettingsFeedOptions) {
    this.#retry = opts.retry ?? { initialDelayMs: 200, maxDelayMs: 30_000 };
  }

  /** Publishes the tenant's settings soon (never blocks the caller); an older or equal version than one already offered is dropped. */
  offer(tenant: StoredTenant, actor: ActorInit): void {
    if (this.#closed) return;
    const known = this.#pending.get(tenant.id)?.version ?? this.#published.get(tenant.id);
    if (known !== undefined && tenant.version <= known) return;
    // Built now, so the event carries the trace of the request that made the change.
    this.#pending.set(tenant.id, { version: tenant.version, event: tenantSettingsEvent(tenant, actor) });
    void this.#drain();
  }

  /**
   * Offers every tenant, a page at a time, in the background. Consumers keep the highest
   * version per tenant, so repeating what they already have is harmless.
   */
  republishAll(store: Pick<TenantStore, 'list'>): void {
    this.#republishing ??= this.#republish(store).catch((err: unknown) => {
      this.opts.logger.error({ err }, 'tenant settings republish stopped');
    });
  }

  /** Resolves once nothing offered so far waits to be published (or the feed closed). */
  async idle(): Promise<void> {
    await this.#republishing;
    await this.#draining;
  }

  /**
   * Stops retrying. A publish in flight gets a moment to finish (so its tenants count as
   * published); past that the event producer's own close waits for it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    let timer: NodeJS.Timeout | undefined;
    const moment = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    await Promise.race([Promise.allSettled([this.#republishing, this.#draining]), moment]);
    clearTimeout(timer);
    if (this.#pending.size > 0) {
      this.opts.logger.warn({ tenants: this.#pending.size }, 'tenant settings not published before shutdown; the next start-up republishes them');
    }
  }

  async #republish(store: Pick<TenantStore, 'list'>): Promise<void> {
    let afterId: string | undefined;
    let count = 0;
    let delay = this.#retry.initialDelayMs;
    while (!this.#closed) {
      let page: StoredTenant[];
      try {
        page = await store.list({ limit: PAGE, ...(afterId !== undefined ? { afterId } : {}) });
      } catch (err) {
        this.opts.logger.warn({ err }, 'could not read tenants to republish their settings; retrying');
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#retry.maxDelayMs);
        continue;
      }
      delay = this.#retry.initialDelayMs;
      for (const tenant of page) this.offer(tenant, AUTH_SERVICE_ACTOR);
      count += page.length;
      // One page in memory at a time: wait for it before reading the next.
      await this.#drain();
      if (page.length < PAGE) break;
      afterId = page[page.length - 1]!.id;
    }
    if (!this.#closed) this.opts.logger.info({ tenants: count }, 'tenant settings republished');
  }

  #drain(): Promise<void> {
    this.#draining ??= (async () => {
      let delay = this.#retry.initialDelayMs;
      try {
        while (!this.#closed && this.#pending.size > 0) {
          const batch = [...this.#pending].slice(0, BATCH);
          try {
            await this.opts.publisher.publish(...batch.map(([, pending]) => pending.event));
          } catch (err) {
            this.opts.logger.warn({ err, tenants: batch.length }, 'could not publish tenant settings; retrying');
            await this.#sleep(delay);
            delay = Math.min(delay * 2, this.#retry.maxDelayMs);
            continue;
          }
          delay = this.#retry.initialDelayMs;
          for (const [tenantId, { version }] of batch) {
            this.#published.set(tenantId, version);
            // A newer version offered during the publish stays pending for the next round.
            if (this.#pending.get(tenantId)?.version === version) this.#pending.delete(tenantId);
          }
        }
      } finally {
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
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
