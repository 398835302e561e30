import type { CustomPatternSpec } from '../detection/index.js';
import type { RedactionStyle } from '../transformation/index.js';

// A tenant's DLP settings and rules (Kaizen `dlp_config`), as the domain sees them.

export type DlpAction = 'block' | 'mask' | 'redact' | 'log';
export type Direction = 'input' | 'output';

export interface DlpSettings {
  tenantId: string;
  scanInputs: boolean;
  scanOutputs: boolean;
  allowList: string[];
  denyList: { type: string; value: string }[];
  customPatterns: CustomPatternSpec[];
  redactionStyle: RedactionStyle;
  version: bigint;
  updateTime?: Date;
  updatedBy: string;
}

export type RuleMatchSpec = { kind: 'type'; type: string } | { kind: 'pattern'; pattern: string };

export interface DlpRuleSpec {
  tenantId: string;
  name: string;
  description: string;
  match: RuleMatchSpec;
  action: DlpAction;
  alert: boolean;
  /** 0 means 0.5. */
  minScore: number;
  /** Empty: both. */
  directions: Direction[];
  enabled: boolean;
  version: bigint;
  updateTime?: Date;
  updatedBy: string;
}

/** Never set: both directions scanned, nothing listed. */
export function defaultSettings(tenantId: string): DlpSettings {
  return { tenantId, scanInputs: true, scanOutputs: true, allowList: [], denyList: [], customPatterns: [], redactionStyle: 'fixed', version: 0n, updatedBy: '' };
}

/** Precedence when several rules match: BLOCK, then REDACT, then MASK, then LOG. */
export const ACTION_PRECEDENCE: Record<DlpAction, number> = { block: 4, redact: 3, mask: 2, log: 1 };
