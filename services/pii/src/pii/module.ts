import type { ConnectRouter } from '@connectrpc/connect';
import { PiiService } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import type { PiiHandlerDeps } from './handler-deps.js';
import { detectHandler } from './handlers/detect.js';
import { detokenizeHandler } from './handlers/detokenize.js';
import { hashHandler } from './handlers/hash.js';
import { maskHandler } from './handlers/mask.js';
import { redactHandler } from './handlers/redact.js';
import { scanHandler } from './handlers/scan.js';
import { tokenizeHandler } from './handlers/tokenize.js';

export function registerPiiService(router: ConnectRouter, deps: PiiHandlerDeps): void {
  router.service(PiiService, {
    detect: (req, ctx) => detectHandler(req, ctx, deps),
    redact: (req, ctx) => redactHandler(req, ctx, deps),
    mask: (req, ctx) => maskHandler(req, ctx, deps),
    hash: (req, ctx) => hashHandler(req, ctx, deps),
    tokenize: (req, ctx) => tokenizeHandler(req, ctx, deps),
    detokenize: (req, ctx) => detokenizeHandler(req, ctx, deps),
    scan: (req, ctx) => scanHandler(req, ctx, deps),
  });
}
