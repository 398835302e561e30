import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TokenizeRequest, TokenizeResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { tenantOf, type PiiHandlerDeps } from '../handler-deps.js';

export async function tokenizeHandler(req: TokenizeRequest, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<MessageInitShape<typeof TokenizeResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const result = await deps.detection.transform(tenantId, req.content, req.options, (f) => deps.vault.tokenize(tenantId, f.type, f.value));
  return { content: result.content, findings: result.findings, keyId: deps.vault.activeKeyId };
}
