import type { DescMethod, DescService } from '@bufbuild/protobuf';
import type { Interceptor } from '@connectrpc/connect';
import { Health } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { ServerReflection } from '@aegis/proto/grpc/reflection/v1/reflection_pb.js';
import { ServerReflection as ServerReflectionV1alpha } from '@aegis/proto/grpc/reflection/v1alpha/reflection_pb.js';
import { credentialSource, presentedCredential } from './authentication-credentials.js';
import type { CredentialVerifier } from './credential-verifier.js';
import { isPublicMethod } from './method-access.js';
import { principalKey } from './principal-context.js';

// Probes and tooling must work without a credential: orchestrators call health, grpcurl and
// Postman call reflection. Neither reveals more than the contracts, which are public.
const OPEN_SERVICES = new Set([Health.typeName, ServerReflection.typeName, ServerReflectionV1alpha.typeName]);

/** Whether a call passes without a credential: the contract marks it public, or it is health/reflection. */
export function passesWithoutCredential(service: DescService, method: DescMethod): boolean {
  return OPEN_SERVICES.has(service.typeName) || isPublicMethod(method);
}

/**
 * The GenXAI plan's `require_api_key` for every RPC of every service: the credential of the
 * request (`Authorization: Bearer <api key | access token>` or `x-api-key`) is verified and its
 * principal put in the context (`principalKey`) before the handler runs. Refusals are
 * `unauthenticated` with a message saying what to do; an undecidable credential (auth down)
 * is `unavailable`, never a pass. Runs inside error mapping, so its errors read like a handler's.
 */
export function authenticationInterceptor(verifier: CredentialVerifier): Interceptor {
  return (next) => async (req) => {
    if (passesWithoutCredential(req.service, req.method)) return next(req);
    const credential = presentedCredential(req.header);
    const principal = await verifier.verify(credential, { signal: req.signal, source: credentialSource(req.header) });
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
