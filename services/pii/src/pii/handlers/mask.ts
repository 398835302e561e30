import type { MessageInitShape } from '@bufbuild/protobuf';
import type { MaskRequest, MaskResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { maskValue } from '@aegis/pii-engine';
import { tenantOf, type PiiHandlerDeps } from '../handler-deps.js';

export async function maskHandler(req: MaskRequest, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<MessageInitShape<typeof MaskResponseSchema>> {
  return deps.detection.transform(tenantOf(req.tenantId, ctx), req.content, req.options, (f) => maskValue(f.type, f.value));
}
