export { auditService } from './definition.js';
export { buildAuditSink, type AuditSinkOptions } from './audit-module.js';
