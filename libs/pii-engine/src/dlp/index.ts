export { ACTION_PRECEDENCE, defaultSettings, type DlpAction, type DlpRuleSpec, type DlpSettings, type Direction, type RuleMatchSpec } from './dlp-config.js';
export { DlpValidationError, validateRule, validateSettings } from './dlp-validation.js';
export { compileDlp, type CompiledDlp, type CompiledRule } from './compiled-dlp.js';
export { scan, type RuleMatch, type ScanFinding, type ScanInput, type ScanOutcome, type ScanUnit } from './scan.js';
export { actionMessage, findingMessage, ruleFromMessage, ruleMessage, settingsFromMessage, settingsMessage } from './dlp-messages.js';
