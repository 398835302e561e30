import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import type { Money } from '@aegis/proto/aegis/common/v1/money_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { TokenUsage } from '@aegis/proto/aegis/common/v1/tokens_pb.js';
import { AuditEventSchema, PiiAction, PiiSummarySchema, Severity, type AuditEvent, type PiiSummary } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { DecisionReason, type Decision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import type { ScanSummary } from './types.js';

/** The Event action (Kaizen event_type) of the record guard makes for each completed run. */
export const AGENT_EXECUTION_ACTION = 'agent.execution';

// The strongest rule that matched decides what happened to the PII of a direction.
function actionOf(summary: ScanSummary): PiiAction {
  const actions = new Set(summary.matchedRules.map((r) => r.action));
  if (actions.has(DlpAction.REDACT)) return PiiAction.REDACTED;
  if (actions.has(DlpAction.MASK)) return PiiAction.MASKED;
  if (actions.has(DlpAction.LOG)) return PiiAction.LOGGED;
  return PiiAction.DETECTED;
}

function piiSummaries(scans: readonly ScanSummary[]): PiiSummary[] {
  const byType = new Map<string, { count: bigint; action: PiiAction }>();
  for (const scan of scans) {
    const action = actionOf(scan);
    for (const f of scan.findings) {
      const seen = byType.get(f.type);
      byType.set(f.type, { count: (seen?.count ?? 0n) + 1n, action: seen === undefined || action === PiiAction.REDACTED ? action : seen.action });
    }
  }
  return [...byType].map(([type, s]) => create(PiiSummarySchema, { type, count: s.count, action: s.action }));
}

export interface ExecutionFacts {
  principal: Principal;
  decision: Decision;
  requestId: string;
  agentId: string;
  resource: { kind: string; id?: string };
  model: { provider: string; model: string };
  clientIp: string;
  durationMs: number;
  tokens: TokenUsage;
  cost: Money | undefined;
  dlp: { input: ScanSummary; output: ScanSummary };
}

/**
 * The Kaizen audit record of one agent run (user, agent, execution with tokens and cost, data
 * with PII found, security with the permission used and DLP alerts). No Aegis RPC appends audit
 * events, so guard hands it to GuardOptions.onExecution for the platform to publish; it carries
 * no PII values (types and counts only).
 */
export function executionRecord(f: ExecutionFacts): AuditEvent {
  const pii = piiSummaries([f.dlp.input, f.dlp.output]);
  const alerts = [f.dlp.input, f.dlp.output].flatMap((s) => s.matchedRules.filter((r) => r.alert)).map((r) => ({
    code: 'DLP_MATCH', severity: Severity.MEDIUM, message: `DLP rule ${r.ruleName} matched ${r.findingCount} finding(s)`,
  }));
  return create(AuditEventSchema, {
    user: { userId: f.principal.userId, sessionId: f.principal.sessionId, ipAddress: f.clientIp },
    agent: { agentId: f.agentId, provider: f.model.provider, model: f.model.model },
    execution: { requestId: f.requestId, duration: durationFromMs(Math.round(f.durationMs)), tokens: f.tokens, ...(f.cost !== undefined ? { cost: f.cost } : {}) },
    data: { piiDetected: pii.length > 0, pii },
    security: {
      accessGranted: true,
      permissionsUsed: [f.decision.permission],
      alerts,
      decision: {
        allowed: true, permission: f.decision.permission, reason: `DECISION_REASON_${DecisionReason[f.decision.reason]}`,
        matchedRole: f.decision.matchedRole, matchedPolicies: f.decision.matchedPolicies, policyRevision: f.decision.revision,
      },
    },
    resource: { kind: f.resource.kind, id: f.resource.id ?? '' },
    classification: pii.length > 0 ? DataClassification.CONFIDENTIAL : DataClassification.INTERNAL,
    message: `agent ${f.agentId || f.resource.id || f.resource.kind} ran on ${f.model.provider}/${f.model.model}: ${f.tokens.promptTokens + f.tokens.completionTokens} tokens`,
  });
}
