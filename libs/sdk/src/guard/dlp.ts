import { ScanDirection } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import type { PiiClients } from '../clients.js';
import type { CallOptions } from './call-options.js';
import { fromContent, toContent } from './content.js';
import { DlpBlockedError, atStep } from './errors.js';
import type { GuardContent, ScanSummary } from './types.js';

/**
 * "Redact PII": PiiService.Scan applies the tenant's DLP rules in one direction: BLOCK refuses
 * the content (DlpBlockedError naming the rule), MASK and REDACT rewrite it, LOG only reports.
 * A tenant that does not scan the direction gets its content back unchanged. With the local
 * scanner (docs/sdk.md, "The local scan") only a block or an alert waits for a call.
 */
export async function scan(pii: PiiClients, tenantId: string, content: GuardContent, direction: 'input' | 'output', call: CallOptions): Promise<{ content: GuardContent; summary: ScanSummary }> {
  const request = () => ({ tenantId, content: toContent(content), direction: direction === 'input' ? ScanDirection.INPUT : ScanDirection.OUTPUT });
  // Answered in process unless a BLOCK or alerting rule matched (pii records those before it
  // answers); what was found still reaches pii's Scan, after the answer, for its audit.
  const local = pii.localScanner?.scan(tenantId, content, direction);
  if (local !== undefined) {
    if (local.report) pii.localScanner!.report(local, () => pii.pii.scan({ ...request(), answeredLocally: true }));
    return { content: local.content, summary: local.summary };
  }
  const step = direction === 'input' ? 'scan_input' : 'scan_output';
  const res = await atStep(step, () => pii.pii.scan(request(), call));
  if (!res.allowed) {
    throw new DlpBlockedError(`the ${direction === 'input' ? 'request' : 'response'} was blocked by the data loss prevention rule "${res.blockingRule}"`, res.blockingRule, direction);
  }
  return {
    content: res.skipped ? content : fromContent(res.content, content),
    summary: { scanned: !res.skipped, findings: res.findings, matchedRules: res.matchedRules },
  };
}
