// A tenant's DLP settings and rules as the contract carries them (DlpConfig, DlpRule), mapped the
// same way by the service (Get/Update/List) and the SDK (GetDlpSnapshot), so both compile the same.

import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { RedactionStyle, type FindingSchema } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { DlpAction, ScanDirection, type DlpConfig, type DlpConfigSchema, type DlpRule, type DlpRuleSchema } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import type { DlpAction as Action, DlpRuleSpec, DlpSettings, Direction } from './dlp-config.js';
import { DlpValidationError } from './dlp-validation.js';
import type { RedactionStyle as Style } from '../transformation/index.js';
import type { Finding } from '../detection/index.js';

const ACTIONS: Record<Action, DlpAction> = { block: DlpAction.BLOCK, mask: DlpAction.MASK, redact: DlpAction.REDACT, log: DlpAction.LOG };
const STYLES: Record<Style, RedactionStyle> = { fixed: RedactionStyle.FIXED, type: RedactionStyle.TYPE, instance: RedactionStyle.INSTANCE };

/** A rule's action as the contract names it (Scan's matched rules, DlpRule). */
export function actionMessage(action: Action): DlpAction {
  return ACTIONS[action];
}

/** A finding as Detect and Scan answer it; `replacement` is set where a rule replaced it. */
export function findingMessage(f: Finding & { path: string }, replacement = ''): MessageInitShape<typeof FindingSchema> {
  return { type: f.type, jsonPath: f.path, start: f.start, end: f.end, score: f.score, detector: f.detector, replacement };
}

export function settingsFromMessage(tenantId: string, config: DlpConfig | undefined, updatedBy: string): DlpSettings {
  if (config === undefined) throw new DlpValidationError('config', 'is required');
  return {
    tenantId,
    scanInputs: config.scanInputs,
    scanOutputs: config.scanOutputs,
    allowList: config.allowList,
    denyList: config.denyList.map((e) => ({ type: e.type, value: e.value })),
    customPatterns: config.customPatterns.map((p) => ({ name: p.name, regex: p.regex, score: p.score, contextWords: p.contextWords })),
    redactionStyle: config.redactionStyle === RedactionStyle.TYPE ? 'type' : config.redactionStyle === RedactionStyle.INSTANCE ? 'instance' : 'fixed',
    version: 0n,
    updatedBy,
  };
}

export function settingsMessage(s: DlpSettings): MessageInitShape<typeof DlpConfigSchema> {
  return {
    tenantId: s.tenantId,
    scanInputs: s.scanInputs,
    scanOutputs: s.scanOutputs,
    allowList: s.allowList,
    denyList: s.denyList,
    customPatterns: s.customPatterns.map((p) => ({ name: p.name, regex: p.regex, score: p.score ?? 0, contextWords: [...(p.contextWords ?? [])] })),
    redactionStyle: STYLES[s.redactionStyle],
    version: s.version,
    ...(s.updateTime !== undefined ? { updateTime: timestampFromDate(s.updateTime) } : {}),
    updatedBy: s.updatedBy,
  };
}

export function ruleFromMessage(tenantId: string, rule: DlpRule | undefined, updatedBy: string): DlpRuleSpec {
  if (rule === undefined) throw new DlpValidationError('rule', 'is required');
  const match = rule.match.case === 'piiType' ? { kind: 'type' as const, type: rule.match.value } : rule.match.case === 'pattern' ? { kind: 'pattern' as const, pattern: rule.match.value } : undefined;
  if (match === undefined) throw new DlpValidationError('rule.match', 'must name a pii_type or a pattern');
  const action = (Object.keys(ACTIONS) as Action[]).find((a) => ACTIONS[a] === rule.action);
  if (action === undefined) throw new DlpValidationError('rule.action', 'must be BLOCK, MASK, REDACT or LOG');
  const directions = [...new Set(rule.directions.map((d): Direction => (d === ScanDirection.OUTPUT ? 'output' : 'input')))];
  return { tenantId, name: rule.name, description: rule.description, match, action, alert: rule.alert, minScore: rule.minScore, directions, enabled: rule.enabled, version: 0n, updatedBy };
}

export function ruleMessage(r: DlpRuleSpec): MessageInitShape<typeof DlpRuleSchema> {
  return {
    tenantId: r.tenantId,
    name: r.name,
    description: r.description,
    match: r.match.kind === 'type' ? { case: 'piiType', value: r.match.type } : { case: 'pattern', value: r.match.pattern },
    action: ACTIONS[r.action],
    alert: r.alert,
    minScore: r.minScore,
    directions: r.directions.map((d) => (d === 'output' ? ScanDirection.OUTPUT : ScanDirection.INPUT)),
    enabled: r.enabled,
    version: r.version,
    ...(r.updateTime !== undefined ? { updateTime: timestampFromDate(r.updateTime) } : {}),
    updatedBy: r.updatedBy,
  };
}
