import type { Keyring } from '@aegis/shared';
import { decodeEvent, openSealed as open, type EventPublisher, type Logger, type SqlDatabase } from '@aegis/shared';
import type { Mailer } from './delivery.js';
import { postWebhook } from './delivery.js';

export interface DispatcherOptions {
  db: SqlDatabase;
  publisher: EventPublisher;
  mailer: Mailer | undefined;
  keyring: Keyring;
  logger: Logger;
  maxAttempts: number;
  backoffMs: number;
  webhookTimeoutMs: number;
  now: () => number;
}

interface Due { delivery_id: string; tenant_id: string; channel: string; target: unknown; event: Uint8Array; attempts: number }

const LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;

export function webhookSecretAd(alertId: string): string {
  return `cost_alert_webhook:${alertId}`;
}

/**
 * Sends the alert outbox: the alerts topic, webhooks, e-mail. A delivery is claimed by moving
 * its next attempt a lease ahead (so instances never send one twice at once), sent outside any
 * transaction, then marked delivered, or retried with exponential backoff until the attempts
 * run out. Delivery is at least once: receivers dedupe by the event id header.
 */
export class AlertDispatcher {
  #running: Promise<void> | undefined;
  #again = false;

  constructor(private readonly opts: DispatcherOptions) {}

  /** Runs a pass now (or right after the current one). */
  kick(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        while ((await this.pass()) > 0) { /* drain */ }
      } while (this.#again);
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async idle(): Promise<void> {
    await this.#running;
  }

  private async pass(): Promise<number> {
    const now = this.opts.now();
    const claimed = await this.opts.db.query<Due>(
      `UPDATE alert_deliveries SET next_attempt_at = $2 WHERE delivery_id IN (
         SELECT delivery_id FROM alert_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT 50 FOR UPDATE SKIP LOCKED)
       RETURNING delivery_id, tenant_id, channel, target, event, attempts`, [new Date(now), new Date(now + LEASE_MS)]);
    await Promise.all(claimed.rows.map((d) => this.deliver(d)));
    return claimed.rows.length;
  }

  private async deliver(d: Due): Promise<void> {
    try {
      const event = decodeEvent(d.event);
      const target = (typeof d.target === 'string' ? JSON.parse(d.target) : d.target) as Record<string, unknown>;
      if (d.channel === 'event') {
        await this.opts.publisher.publish(event);
      } else if (d.channel === 'webhook') {
        const alertId = event.payload.case === 'costAlert' ? event.payload.value.alertId : '';
        const secret = open(this.opts.keyring, String(target['sealedSecret']), webhookSecretAd(alertId)).toString('utf8');
        await postWebhook(String(target['url']), secret, event, this.opts.webhookTimeoutMs, this.opts.now());
      } else if (d.channel === 'email') {
        if (this.opts.mailer === undefined) throw new Error('AEGIS_BILLING_SMTP_URL is not set');
        await this.opts.mailer.send(target['to'] as string[], event);
      }
      await this.opts.db.query('UPDATE alert_deliveries SET delivered_at = $2, attempts = attempts + 1 WHERE delivery_id = $1', [d.delivery_id, new Date(this.opts.now())]);
    } catch (err) {
      const attempts = d.attempts + 1;
      const gaveUp = attempts >= this.opts.maxAttempts;
      const delay = Math.min(this.opts.backoffMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
      this.opts.logger.warn({ deliveryId: d.delivery_id, tenantId: d.tenant_id, channel: d.channel, attempts, gaveUp, err: (err as Error).message }, 'alert delivery failed');
      await this.opts.db.query(
        'UPDATE alert_deliveries SET attempts = $2, next_attempt_at = $3, last_error = $4, failed_at = $5 WHERE delivery_id = $1',
        [d.delivery_id, attempts, new Date(this.opts.now() + delay), (err as Error).message.slice(0, 500), gaveUp ? new Date(this.opts.now()) : null]);
    }
  }
}
