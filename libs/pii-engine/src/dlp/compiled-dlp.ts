import type { RE2JS } from 're2js';
import { compilePattern, compileRegex, type DetectionPolicy } from '../detection/index.js';
import type { DlpAction, DlpRuleSpec, DlpSettings, Direction } from './dlp-config.js';

export interface CompiledRule {
  readonly name: string;
  readonly action: DlpAction;
  readonly alert: boolean;
  readonly minScore: number;
  readonly directions: ReadonlySet<Direction>;
  /** The type it matches, or its own pattern (findings typed with the rule's name). */
  readonly type?: string;
  readonly pattern?: RE2JS;
}

/** A tenant's DLP, compiled once per version and shared by every request until it changes. */
export interface CompiledDlp {
  readonly settings: DlpSettings;
  readonly policy: DetectionPolicy;
  /** Enabled rules, by name. */
  readonly rules: readonly CompiledRule[];
}

export function compileDlp(settings: DlpSettings, rules: readonly DlpRuleSpec[]): CompiledDlp {
  const policy: DetectionPolicy = {
    allowList: new Set(settings.allowList),
    denyList: settings.denyList,
    patterns: settings.customPatterns.map((p) => compilePattern(p)),
  };
  const compiled = rules
    .filter((r) => r.enabled)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((r): CompiledRule => ({
      name: r.name,
      action: r.action,
      alert: r.alert,
      minScore: r.minScore > 0 ? r.minScore : 0.5,
      directions: new Set(r.directions.length === 0 ? ['input', 'output'] : r.directions),
      ...(r.match.kind === 'type' ? { type: r.match.type } : { pattern: compileRegex(r.match.pattern) }),
    }));
  return { settings, policy, rules: compiled };
}
