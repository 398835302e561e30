import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { PiiAction } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { unavailable, type Logger } from '@aegis/shared';
import type { KeyedHasher } from '@aegis/pii-engine';
import type { PiiTypeSummary } from './pii-events.js';

export interface AuditPublisher {
  publish(...events: Event[]): Promise<void>;
}

const MAX_HASHES_PER_TYPE = 20;
const MAX_IN_FLIGHT = 10_000;

/**
 * Where the service's audit events go. Detokenisations, blocks, alerts and config changes are
 * awaited: the caller only gets restored values or a block once the record is stored.
 * Detections are published in the background (bounded) so scanning stays fast.
 */
export class PiiAuditLog {
  #inFlight = 0;
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly publisher: AuditPublisher, private readonly logger: Logger, private readonly hasher: KeyedHasher) {}

  /** Stored before returning; an unreachable event bus is Unavailable (the guarded action does not happen). */
  async recordNow(event: Event): Promise<void> {
    try {
      await this.publisher.publish(event);
    } catch (err) {
      this.logger.error({ err, action: event.action }, 'pii audit event not published');
      throw unavailable('the audit log cannot be written; try again', { cause: err });
    }
  }

  /** Published in the background; never throws, never waits. */
  record(event: Event): void {
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      this.logger.warn({ action: event.action }, 'pii audit backlog full; event dropped');
      return;
    }
    this.#inFlight++;
    const pending = this.publisher.publish(event).catch((err: unknown) => {
      this.logger.error({ err, action: event.action }, 'pii audit event not published');
    }).finally(() => {
      this.#inFlight--;
      this.#pending.delete(pending);
    });
    this.#pending.add(pending);
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  /** Per type: how many, the action taken, and keyed hashes of distinct values (never the values). */
  summarize(tenantId: string, findings: readonly { type: string; value: string; action?: PiiAction }[], defaultAction: PiiAction): PiiTypeSummary[] {
    const byKey = new Map<string, PiiTypeSummary & { seen: Set<string> }>();
    for (const f of findings) {
      const action = f.action ?? defaultAction;
      const key = `${f.type}\u0000${action}`;
      let summary = byKey.get(key);
      if (summary === undefined) {
        summary = { type: f.type, count: 0, action, valueHashes: [], seen: new Set() };
        byKey.set(key, summary);
      }
      summary.count++;
      const hash = this.hasher.hash(tenantId, f.type, f.value);
      if (!summary.seen.has(hash) && summary.valueHashes.length < MAX_HASHES_PER_TYPE) {
        summary.seen.add(hash);
        summary.valueHashes.push(hash);
      }
    }
    return [...byKey.values()].map(({ seen: _seen, ...s }) => s).sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.action - b.action));
  }
}

export { PiiAction };
