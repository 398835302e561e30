import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createEvent, type ActorInit } from '@aegis/shared';
import type { PriceRow } from './prices/price.js';

// AuditEvents of billing administration and enforcement (docs/events.md, the `| billing |` row).

export type BillingAuditAction = 'price.changed' | 'budget.changed' | 'budget.exceeded' | 'cost_alert.changed';

export function actorOf(principal: Principal): ActorInit {
  return { type: principal.type, id: principal.id, userId: principal.userId, apiKeyId: principal.apiKeyId, sessionId: principal.sessionId };
}

function audit(action: BillingAuditAction, tenantId: string, actor: ActorInit, kind: string, id: string, message: string, details: { key: string; value: string }[], outcome = Outcome.SUCCESS): Event {
  return createEvent({
    source: 'billing',
    tenantId,
    actor,
    action,
    outcome,
    payload: {
      case: 'audit',
      value: { resource: { kind, id }, message: message.slice(0, 256), details, security: { accessGranted: outcome === Outcome.SUCCESS } },
    },
  });
}

export function priceChangedEvent(tenantId: string, author: string, price: PriceRow, change: 'created' | 'deleted'): Event {
  return audit('price.changed', tenantId, { id: author, userId: author }, 'model_price', price.priceId, `price of ${price.provider}/${price.model} from ${price.effectiveTime.toISOString()} ${change}`, [
    { key: 'change', value: change },
    { key: 'prompt_nanos_per_million', value: price.prompt.toString() },
    { key: 'completion_nanos_per_million', value: price.completion.toString() },
  ]);
}

export function configChangedEvent(action: 'budget.changed' | 'cost_alert.changed', tenantId: string, actor: ActorInit, id: string, change: 'created' | 'updated' | 'deleted', version: bigint): Event {
  const kind = action === 'budget.changed' ? 'budget' : 'cost_alert';
  return audit(action, tenantId, actor, kind, id, `${kind} ${id} ${change}`, [{ key: 'change', value: change }, { key: 'version', value: version.toString() }]);
}

/** A hard budget refused a reservation (outcome DENIED). */
export function budgetExceededEvent(tenantId: string, actor: ActorInit, budgetId: string, requestId: string, estimateNanos: bigint, estimateTokens: bigint): Event {
  return audit('budget.exceeded', tenantId, actor, 'budget', budgetId, `reservation for request ${requestId} refused: budget ${budgetId} cannot hold it`, [
    { key: 'request_id', value: requestId },
    { key: 'estimate_nanos', value: estimateNanos.toString() },
    { key: 'estimate_tokens', value: estimateTokens.toString() },
  ], Outcome.DENIED);
}
