// The filter flags `audit tail` and `audit query` share (AuditEventFilter), the past times they
// start from, and how one event reads as a line.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import type { AuditEventFilterSchema } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { parseDurationSeconds } from '../../output/values.js';
import { UsageError, type OptionSpec, type ServerContext } from '../../server/server-command.js';

const OUTCOMES: Record<string, Outcome> = { success: Outcome.SUCCESS, failure: Outcome.FAILURE, denied: Outcome.DENIED };
const CLASSIFICATIONS: Record<string, DataClassification> = {
  public: DataClassification.PUBLIC, internal: DataClassification.INTERNAL, confidential: DataClassification.CONFIDENTIAL, restricted: DataClassification.RESTRICTED,
};

export const FILTER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  user: { type: 'string', placeholder: 'id', help: 'Events about or by this user' },
  actor: { type: 'string', placeholder: 'id', help: 'Events by this principal (user, API key or service id)' },
  action: { type: 'string', multiple: true, placeholder: 'name', help: 'This action, e.g. api_key.revoked' },
  outcome: { type: 'string', placeholder: 'o', help: 'success, failure or denied' },
  source: { type: 'string', placeholder: 'service', help: 'Events of this producer (auth, policy, ...)' },
  'min-classification': { type: 'string', placeholder: 'c', help: 'public, internal, confidential or restricted' },
};

export function filterOf(ctx: ServerContext): MessageInitShape<typeof AuditEventFilterSchema> {
  const outcomeText = ctx.string('outcome');
  const outcome = outcomeText === undefined ? Outcome.UNSPECIFIED : OUTCOMES[outcomeText.toLowerCase()];
  if (outcome === undefined) throw new UsageError(`--outcome must be one of ${Object.keys(OUTCOMES).join(', ')}`);
  const levelText = ctx.string('min-classification');
  const minClassification = levelText === undefined ? DataClassification.UNSPECIFIED : CLASSIFICATIONS[levelText.toLowerCase()];
  if (minClassification === undefined) throw new UsageError(`--min-classification must be one of ${Object.keys(CLASSIFICATIONS).join(', ')}`);
  return { userId: ctx.string('user') ?? '', actorId: ctx.string('actor') ?? '', actions: ctx.strings('action'), outcome, source: ctx.string('source') ?? '', minClassification };
}

/** An RFC 3339 time, a date (UTC midnight), or a duration ago (`15m`, `2h`, `7d`). */
export function pastTime(flag: string, text: string, now = Date.now()): Timestamp {
  const seconds = parseDurationSeconds(text);
  if (seconds !== undefined) return timestampFromDate(new Date(now - Number(seconds) * 1000));
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${flag} must be an RFC 3339 time (2026-01-31T12:00:00Z), a date (2026-01-31) or a duration ago (15m, 2h, 7d), got "${text}"`);
  return timestampFromDate(date);
}

/** A positive whole number, or undefined when the flag is absent. */
export function positiveCount(flag: string, text: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got "${text}"`);
  return n;
}

/** `2026-01-30T10:30:00.437Z acme policy policy.decision DENIED actor=u-1 user=u-2 confidential "…" id=…`. */
export function eventLine(event: Event): string {
  const time = event.time === undefined ? '-' : timestampDate(event.time).toISOString();
  const outcome = event.outcome === Outcome.UNSPECIFIED ? '-' : Outcome[event.outcome] ?? String(event.outcome);
  const actor = event.actor === undefined || event.actor.id === '' ? '' : ` actor=${event.actor.id}`;
  const parts = [time, event.tenantId, event.source, event.action, outcome];
  if (event.payload.case === 'audit') {
    const audit = event.payload.value;
    const user = audit.user?.userId ? ` user=${audit.user.userId}` : '';
    const classification = classificationOf(event);
    const message = audit.message === '' ? '' : ` ${JSON.stringify(audit.message)}`;
    return `${parts.join(' ')}${actor}${user}${classification === '' ? '' : ` ${classification}`}${message} id=${event.id}`;
  }
  if (event.payload.case === 'auditCheckpoint') {
    const c = event.payload.value;
    return `${parts.join(' ')}${actor} checkpoint ${c.producerId} through sequence ${c.sequence} key=${c.keyId} id=${event.id}`;
  }
  return `${parts.join(' ')}${actor} id=${event.id}`;
}

/** `confidential`, or '' when unset or not an audit event. */
export function classificationOf(event: Event): string {
  if (event.payload.case !== 'audit') return '';
  const level = DataClassification[event.payload.value.classification]?.toLowerCase() ?? '';
  return level === 'unspecified' ? '' : level;
}
