import { compilePattern, compileRegex, isBuiltinType, PatternError, PATTERN_NAME } from '../detection/index.js';
import type { DlpRuleSpec, DlpSettings } from './dlp-config.js';

/** A problem with a submitted config or rule, naming the field as the contract does. */
export class DlpValidationError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const MAX_LIST = 1000;
const MAX_VALUE = 1000;

export function validateSettings(settings: DlpSettings, field = 'config'): void {
  if (settings.allowList.length > MAX_LIST) throw new DlpValidationError(`${field}.allow_list`, `at most ${MAX_LIST} values`);
  settings.allowList.forEach((v, i) => {
    if (v === '' || v.length > MAX_VALUE) throw new DlpValidationError(`${field}.allow_list[${i}]`, `must be 1-${MAX_VALUE} characters`);
  });
  if (settings.denyList.length > MAX_LIST) throw new DlpValidationError(`${field}.deny_list`, `at most ${MAX_LIST} entries`);
  const patternNames = new Set<string>();
  settings.customPatterns.forEach((p, i) => {
    try {
      compilePattern(p);
    } catch (err) {
      if (err instanceof PatternError) throw new DlpValidationError(`${field}.custom_patterns[${i}].${err.field}`, err.message);
      throw err;
    }
    if (patternNames.has(p.name)) throw new DlpValidationError(`${field}.custom_patterns[${i}].name`, `"${p.name}" appears twice`);
    patternNames.add(p.name);
  });
  settings.denyList.forEach((entry, i) => {
    if (entry.value === '' || entry.value.length > MAX_VALUE) throw new DlpValidationError(`${field}.deny_list[${i}].value`, `must be 1-${MAX_VALUE} characters`);
    if (!isBuiltinType(entry.type) && !patternNames.has(entry.type) && !PATTERN_NAME.test(entry.type)) throw new DlpValidationError(`${field}.deny_list[${i}].type`, 'must be a built-in type or a name of [a-z0-9_]');
  });
}

/** `customPatternNames`: the tenant's pattern names, which a rule may match like a built-in type. */
export function validateRule(rule: DlpRuleSpec, customPatternNames: ReadonlySet<string>, field = 'rule'): void {
  if (!PATTERN_NAME.test(rule.name)) throw new DlpValidationError(`${field}.name`, 'must be 1-63 of [a-z0-9_]');
  if (rule.description.length > 1000) throw new DlpValidationError(`${field}.description`, 'at most 1000 characters');
  if (rule.match.kind === 'type') {
    if (!isBuiltinType(rule.match.type) && !customPatternNames.has(rule.match.type)) {
      throw new DlpValidationError(`${field}.pii_type`, `"${rule.match.type}" is neither a built-in type nor one of the tenant's custom patterns`);
    }
  } else {
    try {
      compileRegex(rule.match.pattern);
    } catch (err) {
      if (err instanceof PatternError) throw new DlpValidationError(`${field}.pattern`, err.message);
      throw err;
    }
  }
  if (!(rule.minScore >= 0 && rule.minScore <= 1)) throw new DlpValidationError(`${field}.min_score`, 'must be within 0-1');
}
