// @aegis/pii-engine: PII detection, DLP rules and transformations, pure and synchronous, shared
// by the pii service (the authority) and @aegis/sdk (its local scan of clean content).
export * from './detection/index.js';
export * from './dlp/index.js';
export * from './transformation/index.js';
export { ContentTooLargeError, jsonUnits, MAX_CONTENT_CHARS, rebuiltJson, rebuiltText, textUnits, type ContentUnits } from './content/content-units.js';
export { PII_ENGINE_VERSION } from './version.js';
