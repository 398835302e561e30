import type { DetectRequest, DetectResponse } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { DetectResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { findingMessage } from '../detection-service.js';
import { tenantOf, type PiiHandlerDeps } from '../handler-deps.js';

export async function detectHandler(req: DetectRequest, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<MessageInitShape<typeof DetectResponseSchema>> {
  const { findings } = await deps.detection.findings(tenantOf(req.tenantId, ctx), req.content, req.options);
  return { findings: findings.map((f) => findingMessage(f)), hasPii: findings.length > 0, types: [...new Set(findings.map((f) => f.type))].sort() };
}

export type { DetectResponse };
