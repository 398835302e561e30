import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ScanRequest, ScanResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { ScanDirection } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { actionMessage } from '@aegis/pii-engine';
import { PiiAction } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { requirePrincipal } from '@aegis/shared';
import { scan, type DlpAction as Action, type ScanOutcome } from '@aegis/pii-engine';
import { piiEvent, type PiiEventInput } from '../../audit/pii-events.js';
import { contentUnits, rebuildContent } from '../content.js';
import { findingMessage } from '../detection-service.js';
import { tenantOf, type PiiHandlerDeps } from '../handler-deps.js';
import { requestDetection } from '../request-options.js';

const PII_ACTION: Record<Action, PiiAction> = { block: PiiAction.BLOCKED, mask: PiiAction.MASKED, redact: PiiAction.REDACTED, log: PiiAction.LOGGED };

/** Kaizen's DLP check. A block is an answer (allowed=false), recorded before it is returned. */
export async function scanHandler(req: ScanRequest, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<MessageInitShape<typeof ScanResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const units = contentUnits(req.content);
  const dlp = await deps.dlp.get(tenantId);
  const request = requestDetection(dlp.policy, req.options);
  const direction = req.direction === ScanDirection.OUTPUT ? 'output' : 'input';
  const outcome = scan({ dlp, policy: request.policy, units: units.units, direction, options: request.options });
  await audit(outcome, tenantId, direction, req.answeredLocally, ctx, deps);
  const texts = new Map(outcome.units.map((u) => [u.path, u.text]));
  return {
    allowed: outcome.allowed,
    blockingRule: outcome.blockingRule,
    skipped: outcome.skipped,
    ...(outcome.allowed ? { content: { kind: rebuildContent(units, texts) } } : {}),
    findings: outcome.findings.map((f) => findingMessage(f, f.replacement ?? '')),
    matchedRules: outcome.matchedRules.map((m) => ({ ruleName: m.rule, action: actionMessage(m.action), alert: m.alert, findingCount: m.count })),
  };
}

async function audit(outcome: ScanOutcome, tenantId: string, direction: string, answeredLocally: boolean, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<void> {
  if (outcome.findings.length === 0) return;
  const actionOf = new Map(outcome.matchedRules.map((m) => [m.rule, m.action]));
  const strongest = (rules: string[]): PiiAction => {
    const actions = rules.map((r) => actionOf.get(r)!);
    for (const a of ['block', 'redact', 'mask', 'log'] as const) if (actions.includes(a)) return PII_ACTION[a];
    return PiiAction.DETECTED;
  };
  const alerting = outcome.matchedRules.filter((m) => m.alert).map((m) => m.rule);
  const input: Omit<PiiEventInput, 'action' | 'message'> = {
    tenantId,
    principal: requirePrincipal(ctx),
    summaries: deps.audit.summarize(tenantId, outcome.findings.map((f) => ({ type: f.type, value: f.value, action: strongest(f.rules) })), PiiAction.DETECTED),
    alertingRules: alerting,
    blockingRule: outcome.blockingRule,
    details: [
      { key: 'direction', value: direction }, { key: 'rules', value: outcome.matchedRules.map((m) => m.rule).join(',') },
      ...(answeredLocally ? [{ key: 'answered_locally', value: 'true' }] : []),
    ],
  };
  if (!outcome.allowed && answeredLocally) {
    // The guard SDK answered with an older copy of the rules: the content went through.
    await deps.audit.recordNow(piiEvent({
      ...input, alertingRules: [...alerting, outcome.blockingRule], action: 'dlp.block_missed',
      message: `DLP rule ${outcome.blockingRule} would have blocked content the guard SDK had already answered with an older copy of the rules`,
    }));
  } else if (!outcome.allowed) {
    await deps.audit.recordNow(piiEvent({ ...input, action: 'dlp.blocked', message: `content blocked by DLP rule ${outcome.blockingRule}` }));
  } else if (alerting.length > 0) {
    await deps.audit.recordNow(piiEvent({ ...input, action: 'dlp.alerted', message: `DLP alert: ${alerting.join(', ')}` }));
  } else if (deps.auditDetections) {
    deps.audit.record(piiEvent({ ...input, action: 'pii.detected', message: `${outcome.findings.length} PII finding(s)` }));
  }
}
