export { replaceSpans } from './replace-spans.js';
export { DEFAULT_REDACTION, InstancePlaceholders, redactor, typePlaceholder, type RedactionStyle } from './redaction.js';
export { maskValue } from './masking.js';
export { KeyedHasher } from './keyed-hash.js';
