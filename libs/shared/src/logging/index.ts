export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { redactUrl, secretRedactionPaths, SECRET_FIELD_NAMES, REDACTED } from './redaction.js';
