import type { ConnectRouter } from '@connectrpc/connect';
import { AuditLogService } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import type { AuditLogDeps } from './audit-log-deps.js';
import { getAuditEvent } from './get-audit-event.js';
import { queryAuditEvents } from './query-audit-events.js';
import { tailAuditEvents } from './tail-audit-events.js';
import { verifyAuditChain } from './verify-audit-chain.js';

export function registerAuditLogService(router: ConnectRouter, deps: AuditLogDeps): void {
  router.service(AuditLogService, {
    queryAuditEvents: (req, ctx) => queryAuditEvents(deps, req, ctx),
    getAuditEvent: (req, ctx) => getAuditEvent(deps, req, ctx),
    tailAuditEvents: (req, ctx) => tailAuditEvents(deps, req, ctx),
    verifyAuditChain: (req, ctx) => verifyAuditChain(deps, req, ctx),
  });
}
