export { detect, hasPii, resolveOverlaps, DEFAULT_MIN_SCORE, type DetectOptions } from './detector.js';
export { compilePattern, compileRegex, patternMatches, PatternError, PATTERN_NAME, type CompiledPattern, type CustomPatternSpec } from './custom-pattern.js';
export { EMPTY_POLICY, withRequestAdditions, type DetectionPolicy } from './detection-policy.js';
export { BUILTIN_TYPES, isBuiltinType, type BuiltinType, type Finding } from './finding.js';
export { jsonStrings, mapJsonStrings, normalizedName, type JsonString } from './json-document.js';
export { isSupportedRegion } from './phone-numbers.js';
