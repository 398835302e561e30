export { sanitizeCommand, type CommandRejection, type CommandVerdict } from './command-line.js';
export { sanitizeHtmlText, type HtmlProfile } from './html-sanitizer.js';
export { findInvisible, stripInvisible, type InvisibleCharacter } from './invisible-characters.js';
export { detectThreats, type ThreatSignal } from './threat-detection.js';
export { THREAT_RULES, type ThreatKind } from './threat-rules.js';
