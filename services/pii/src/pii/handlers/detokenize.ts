import type { MessageInitShape } from '@bufbuild/protobuf';
import type { DetokenizeRequest, DetokenizeResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { failedPrecondition, invalidArgument, requirePrincipal } from '@aegis/shared';
import { PiiAction } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { piiEvent } from '../../audit/pii-events.js';
import { TokenError } from '../../domain/tokenization/token-vault.js';
import { contentUnits, rebuildContent } from '../content.js';
import { tenantOf, type PiiHandlerDeps } from '../handler-deps.js';

/** Restores tokenised values; the audit record is stored before any value is returned. */
export async function detokenizeHandler(req: DetokenizeRequest, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<MessageInitShape<typeof DetokenizeResponseSchema>> {
  const purpose = req.purpose.trim();
  if (purpose === '' || purpose.length > 500) throw invalidArgument('purpose', 'must say why the values are needed (1-500 characters)');
  const tenantId = tenantOf(req.tenantId, ctx);
  const units = contentUnits(req.content);
  const texts = new Map<string, string>();
  const restored: { type: string; value: string }[] = [];
  for (const unit of units.units) {
    let opened;
    try {
      opened = deps.vault.detokenize(tenantId, unit.text);
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      if (err.reason === 'malformed') throw invalidArgument(units.kind === 'text' ? 'content.text' : 'content.json', err.message);
      throw failedPrecondition(err.message);
    }
    if (opened.count === 0) continue;
    texts.set(unit.path, opened.text);
    restored.push(...opened.restored);
  }
  const principal = requirePrincipal(ctx);
  await deps.audit.recordNow(piiEvent({
    action: 'pii.detokenized',
    tenantId,
    principal,
    summaries: deps.audit.summarize(tenantId, restored, PiiAction.DETOKENIZED),
    message: `${restored.length} value(s) detokenized`,
    details: [{ key: 'purpose', value: purpose }, { key: 'count', value: String(restored.length) }],
  }));
  return { content: { kind: rebuildContent(units, texts) }, detokenizedCount: restored.length };
}
