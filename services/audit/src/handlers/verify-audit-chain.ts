import { fromBinary } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { VerifyAuditChainRequest, VerifyAuditChainResponse } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { failedPrecondition, requireLength } from '@aegis/shared';
import { verifyAuditLog, type AuditRecord } from '@aegis/shared/audit-integrity';
import { verifyResponseOf } from '../domain/chain-report.js';
import type { AuditLogDeps } from './audit-log-deps.js';
import { intervalOf, tenantOf } from './audit-request.js';

/**
 * Recomputes the tenant's chains from the stored bytes, in stored order (the order the sink
 * read them from the topic), with the same verifier as `aegis audit verify`. Tampering is an
 * answer (intact=false), never an error.
 */
export async function verifyAuditChain(deps: AuditLogDeps, req: VerifyAuditChainRequest, ctx: HandlerContext): Promise<VerifyAuditChainResponse> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const producerId = req.producerId === '' ? undefined : requireLength(req.producerId, 'producer_id', 1, 256);
  const interval = intervalOf(req.interval);
  const records = await deps.store.chainRecords({ tenantId, limit: deps.verifyMaxRecords + 1, ...interval, ...(producerId !== undefined ? { producerId } : {}) });
  if (records.length > deps.verifyMaxRecords) {
    throw failedPrecondition(`more than ${deps.verifyMaxRecords} stored records match; verify a shorter interval or one producer_id at a time`);
  }
  const input: AuditRecord[] = records.map((record) => {
    const position = `stored record ${record.position}`;
    try {
      return { event: fromBinary(EventSchema, record.body), position };
    } catch (err) {
      return { error: `does not decode as an Event: ${(err as Error).message}`, position };
    }
  });
  // A window that starts after the beginning may start mid-chain: no gaps before its first event.
  return verifyResponseOf(verifyAuditLog(input, deps.trustedKeys, { fromChainStart: interval.startUs === undefined }));
}
