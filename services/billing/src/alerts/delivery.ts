import { createHmac } from 'node:crypto';
import { toJsonString } from '@bufbuild/protobuf';
import { EventSchema, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createTransport, type Transporter } from 'nodemailer';

/** The signature header of a webhook request: `t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, t + "." + body)>`. */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export function eventJson(event: Event): string {
  return toJsonString(EventSchema, event);
}

/** POSTs the event's JSON, signed; a non-2xx answer or a timeout is a failure to retry. */
export async function postWebhook(url: string, secret: string, event: Event, timeoutMs: number, nowMs: number): Promise<void> {
  const body = eventJson(event);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'aegis-event-id': event.id,
      'aegis-signature': webhookSignature(secret, body, Math.floor(nowMs / 1000)),
    },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new Error(`webhook answered HTTP ${response.status}`);
}

export class Mailer {
  readonly #transport: Transporter;

  constructor(smtpUrl: string, private readonly from: string) {
    this.#transport = createTransport(smtpUrl);
  }

  async send(to: readonly string[], event: Event): Promise<void> {
    const alert = event.payload.case === 'costAlert' ? event.payload.value : undefined;
    const what = event.action === 'cost_alert.resolved' ? 'resolved' : 'triggered';
    const spent = alert?.spent !== undefined ? `${alert.spent.amountNanos} nano-${alert.spent.currencyCode}` : 'unknown';
    await this.#transport.sendMail({
      from: this.from,
      to: [...to],
      subject: `[Aegis] cost alert "${alert?.alertName ?? ''}" ${what}`,
      text: `Cost alert "${alert?.alertName ?? ''}" (${alert?.alertId ?? ''}) ${what} for tenant ${event.tenantId}.\nSpent in the period: ${spent}.\n\n${eventJson(event)}\n`,
      headers: { 'Aegis-Event-Id': event.id },
    });
  }

  close(): void {
    this.#transport.close();
  }
}
