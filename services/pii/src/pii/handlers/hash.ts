import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HashRequest, HashResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { tenantOf, type PiiHandlerDeps } from '../handler-deps.js';

export async function hashHandler(req: HashRequest, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<MessageInitShape<typeof HashResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  return deps.detection.transform(tenantId, req.content, req.options, (f) => deps.hasher.token(tenantId, f.type, f.value));
}
