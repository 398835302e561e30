import type { DlpRuleSpec, DlpSettings } from '@aegis/pii-engine';

/** Why a write did not happen: the rule exists, is missing, or the caller's version is stale. */
export type StoreConflict = { conflict: 'exists' } | { conflict: 'missing' } | { conflict: 'version'; currentVersion: bigint };

export function isConflict<T extends object>(result: T | StoreConflict): result is StoreConflict {
  return 'conflict' in result;
}

export interface DlpStore {
  loadSettings(tenantId: string): Promise<DlpSettings | undefined>;
  loadRules(tenantId: string): Promise<DlpRuleSpec[]>;
  /** 0 for a tenant that never changed anything. */
  revision(tenantId: string): Promise<bigint>;
  revisions(tenantIds: readonly string[]): Promise<Map<string, bigint>>;
  listRules(tenantId: string, afterName: string, limit: number): Promise<DlpRuleSpec[]>;
  getRule(tenantId: string, name: string): Promise<DlpRuleSpec | undefined>;
  /** `expectedVersion` 0 skips the check. */
  saveSettings(settings: DlpSettings, expectedVersion: bigint): Promise<DlpSettings | StoreConflict>;
  createRule(rule: DlpRuleSpec): Promise<DlpRuleSpec | StoreConflict>;
  updateRule(rule: DlpRuleSpec, expectedVersion: bigint): Promise<DlpRuleSpec | StoreConflict>;
  /** Returns the deleted rule. */
  deleteRule(tenantId: string, name: string, expectedVersion: bigint): Promise<DlpRuleSpec | StoreConflict>;
}
