import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RedactRequest, RedactResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { RedactionStyle } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { invalidArgument } from '@aegis/shared';
import { redactor, type RedactionStyle as Style } from '@aegis/pii-engine';
import { tenantOf, type PiiHandlerDeps } from '../handler-deps.js';

export function redactionStyleOf(style: RedactionStyle): Style {
  return style === RedactionStyle.TYPE ? 'type' : style === RedactionStyle.INSTANCE ? 'instance' : 'fixed';
}

export async function redactHandler(req: RedactRequest, ctx: HandlerContext, deps: PiiHandlerDeps): Promise<MessageInitShape<typeof RedactResponseSchema>> {
  if (req.replacement.length > 100) throw invalidArgument('replacement', 'must be at most 100 characters');
  const replace = redactor(redactionStyleOf(req.style), req.replacement);
  return deps.detection.transform(tenantOf(req.tenantId, ctx), req.content, req.options, (f) => replace(f, f.value));
}
