import { ScanDirection } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import type { PiiClients } from '../clients.js';
import type { CallOptions } from './call-options.js';
import { fromContent, toContent } from './content.js';
import { DlpBlockedError, atStep } from './errors.js';
import type { GuardContent, ScanSummary } from './types.js';

/**
 * "Redact PII": PiiService.Scan applies the tenant's DLP rules in one direction: BLOCK refuses
 * the content (DlpBlockedError naming the rule), MASK and REDACT rewrite it, LOG only reports.
 * A tenant that does not scan the direction gets its content back unchanged.
 */
export async function scan(pii: PiiClients, tenantId: string, content: GuardContent, direction: 'input' | 'output', call: CallOptions): Promise<{ content: GuardContent; summary: ScanSummary }> {
  const step = direction === 'input' ? 'scan_input' : 'scan_output';
  const res = await atStep(step, () => pii.pii.scan({
    tenantId,
    content: toContent(content),
    direction: direction === 'input' ? ScanDirection.INPUT : ScanDirection.OUTPUT,
  }, call));
  if (!res.allowed) {
    throw new DlpBlockedError(`the ${direction === 'input' ? 'request' : 'response'} was blocked by the data loss prevention rule "${res.blockingRule}"`, res.blockingRule, direction);
  }
  return {
    content: res.skipped ? content : fromContent(res.content, content),
    summary: { scanned: !res.skipped, findings: res.findings, matchedRules: res.matchedRules },
  };
}
