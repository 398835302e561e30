import { create } from '@bufbuild/protobuf';
import type { AuditIssue, AuditIssueKind, AuditVerifyReport } from '@aegis/shared/audit-integrity';
import {
  ChainReportSchema, ChainViolationKind, ChainViolationSchema, VerifyAuditChainResponseSchema,
  type ChainReport, type ChainViolation, type VerifyAuditChainResponse,
} from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';

// verifyAuditLog (libs/shared/src/audit-integrity) speaks the CLI's nine issue kinds; the
// contract has five. Both name the same failures, the contract's more coarsely.

const KIND: Record<AuditIssueKind, ChainViolationKind> = {
  altered: ChainViolationKind.ALTERED,
  // A stored audit event without chain fields, or a stored body that no longer decodes: the
  // content was changed after the producer stamped it.
  unchained: ChainViolationKind.ALTERED,
  unreadable: ChainViolationKind.ALTERED,
  missing: ChainViolationKind.MISSING,
  reordered: ChainViolationKind.REORDERED,
  broken_link: ChainViolationKind.REORDERED,
  duplicated: ChainViolationKind.DUPLICATED,
  bad_checkpoint: ChainViolationKind.BAD_CHECKPOINT,
  checkpoint_mismatch: ChainViolationKind.BAD_CHECKPOINT,
};

function violationOf(issue: AuditIssue): ChainViolation {
  return create(ChainViolationSchema, {
    kind: KIND[issue.kind],
    sequence: BigInt(issue.sequence ?? 0),
    eventId: issue.eventId ?? '',
    detail: `${issue.kind}: ${issue.message}`,
  });
}

/**
 * One ChainReport per producer. Issues verifyAuditLog could not place in a chain (a
 * checkpoint it rejected, an unchained or unreadable record) go to their producer's report,
 * or to one with an empty producer_id.
 */
export function verifyResponseOf(report: AuditVerifyReport): VerifyAuditChainResponse {
  const chains = new Map<string, ChainReport>();
  for (const chain of report.chains) {
    const altered = new Set(chain.issues.filter((i) => i.kind === 'altered').map((i) => i.eventId));
    chains.set(chain.producerId, create(ChainReportSchema, {
      producerId: chain.producerId,
      firstSequence: BigInt(chain.firstSequence),
      lastSequence: BigInt(chain.lastSequence),
      verifiedCount: BigInt(chain.events - altered.size),
      signedSequence: BigInt(chain.signedSequence),
      violations: chain.issues.map(violationOf),
    }));
  }
  const placed = new Set(report.chains.flatMap((c) => c.issues));
  for (const issue of report.issues.filter((i) => !placed.has(i))) {
    const producerId = issue.producerId ?? '';
    let chain = chains.get(producerId);
    if (chain === undefined) chains.set(producerId, (chain = create(ChainReportSchema, { producerId })));
    chain.violations.push(violationOf(issue));
  }
  return create(VerifyAuditChainResponseSchema, { intact: report.ok, chains: [...chains.values()] });
}
