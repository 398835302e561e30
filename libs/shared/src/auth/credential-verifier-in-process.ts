import { createRouterTransport, type ConnectRouter } from '@connectrpc/connect';
import { errorMappingInterceptor } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { ApiKeyCheck } from './credential-verifier.js';
import { apiKeyCheckOver } from './credential-verifier-remote.js';

/**
 * API keys checked by an ApiKeyService implementation of this process (the auth service's
 * own), through an in-memory transport: no network hop, and only the contract is relied on, so
 * the check stays right however the implementation is organised inside. `routes` must register
 * ApiKeyService (registering more is harmless).
 */
export function inProcessApiKeyCheck(routes: (router: ConnectRouter) => void, opts: { logger: Logger; timeoutMs?: number }): ApiKeyCheck {
  const transport = createRouterTransport(routes, { router: { interceptors: [errorMappingInterceptor(opts.logger)] } });
  return apiKeyCheckOver(transport, { timeoutMs: opts.timeoutMs ?? 2_000 });
}
