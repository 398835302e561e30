import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { PiiAction, Severity } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { createEvent, type ActorInit } from '@aegis/shared';

// The plan's PIIAuditLogger records as aegis.events.v1 audit events: who, which types, how
// many, what was done, and at most keyed hashes of the values (never a value).

export const PII_AUDIT_ACTIONS = ['pii.detected', 'pii.detokenized', 'dlp.blocked', 'dlp.block_missed', 'dlp.alerted', 'dlp_config.changed'] as const;
export type PiiAuditAction = (typeof PII_AUDIT_ACTIONS)[number];

/** Findings of one type and what was done to them. */
export interface PiiTypeSummary {
  type: string;
  count: number;
  action: PiiAction;
  /** Keyed hashes (at most a few per type). */
  valueHashes: string[];
}

export interface PiiEventInput {
  action: Exclude<PiiAuditAction, 'dlp_config.changed'>;
  tenantId: string;
  principal: Principal;
  summaries: PiiTypeSummary[];
  /** Rules that alerted (dlp.alerted, dlp.blocked, dlp.block_missed). */
  alertingRules?: string[];
  blockingRule?: string;
  message: string;
  details: { key: string; value: string }[];
}

export function actorOf(principal: Principal): ActorInit {
  return { type: principal.type, id: principal.id, userId: principal.userId, apiKeyId: principal.apiKeyId, sessionId: principal.sessionId };
}

export function piiEvent(input: PiiEventInput): Event {
  const blocked = input.action === 'dlp.blocked';
  return createEvent({
    source: 'pii',
    tenantId: input.tenantId,
    actor: actorOf(input.principal),
    action: input.action,
    outcome: blocked ? Outcome.DENIED : Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        user: { userId: input.principal.userId, sessionId: input.principal.sessionId },
        data: { piiDetected: input.summaries.length > 0, pii: input.summaries.map((s) => ({ type: s.type, count: BigInt(s.count), action: s.action, valueHashes: s.valueHashes })) },
        security: {
          accessGranted: !blocked,
          permissionsUsed: [input.action === 'pii.detokenized' ? 'pii:detokenize' : 'pii:detect'],
          alerts: (input.alertingRules ?? []).map((rule) => ({ code: `dlp.${rule}`, severity: rule === input.blockingRule ? Severity.HIGH : Severity.MEDIUM, message: `DLP rule ${rule} matched` })),
          ...(blocked ? { decision: { allowed: false, permission: 'pii:detect', reason: `dlp rule ${input.blockingRule ?? ''}` } } : {}),
        },
        resource: { kind: 'content', id: '' },
        message: input.message,
        details: input.details,
      },
    },
  });
}

export interface DlpChangeEventInput {
  tenantId: string;
  principal: Principal;
  /** "config", or the rule's name. */
  what: { kind: 'config' } | { kind: 'rule'; name: string; verb: 'created' | 'updated' | 'deleted' };
  version: bigint;
}

export function dlpChangeEvent(input: DlpChangeEventInput): Event {
  const { what } = input;
  return createEvent({
    source: 'pii',
    tenantId: input.tenantId,
    actor: actorOf(input.principal),
    action: 'dlp_config.changed',
    outcome: Outcome.SUCCESS,
    payload: {
      case: 'audit',
      value: {
        user: { userId: input.principal.userId, sessionId: input.principal.sessionId },
        resource: what.kind === 'config' ? { kind: 'dlp_config', id: input.tenantId } : { kind: 'dlp_rule', id: what.name },
        security: { accessGranted: true, permissionsUsed: ['dlp:write'] },
        message: what.kind === 'config' ? 'dlp config updated' : `dlp rule ${what.name} ${what.verb}`,
        details: [{ key: 'version', value: String(input.version) }, ...(what.kind === 'rule' ? [{ key: 'change', value: what.verb }] : [])],
      },
    },
  });
}
