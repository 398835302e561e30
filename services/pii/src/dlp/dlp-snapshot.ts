import { defaultSettings, type DlpRuleSpec, type DlpSettings } from '@aegis/pii-engine';
import type { DlpStore } from './ports.js';

/** A tenant's whole DLP (what Scan compiles) as of one revision. */
export interface DlpSnapshot {
  revision: bigint;
  settings: DlpSettings;
  /** Every rule, disabled ones included (compileDlp keeps the enabled ones). */
  rules: DlpRuleSpec[];
}

/**
 * Revision first: a change committing during the read is then newer than the snapshot claims,
 * so whoever holds it reloads on that change's notice rather than keeping a mix as current.
 */
export async function loadDlpSnapshot(store: Pick<DlpStore, 'revision' | 'loadSettings' | 'loadRules'>, tenantId: string): Promise<DlpSnapshot> {
  const revision = await store.revision(tenantId);
  const [settings, rules] = await Promise.all([store.loadSettings(tenantId), store.loadRules(tenantId)]);
  return { revision, settings: settings ?? defaultSettings(tenantId), rules };
}
