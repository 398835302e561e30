export { currentPrincipal, principalKey, requirePrincipal } from './principal-context.js';
export { isPublicMethod, methodAccess } from './method-access.js';
export { createCredentialEvents, type CredentialEvent, type CredentialEvents } from './credential-events.js';
export * from './jwt/index.js';
export { authenticationInterceptor, passesWithoutCredential } from './authentication-interceptor.js';
export { credentialSource, MISSING_CREDENTIAL, presentedCredential, type PresentedCredential } from './authentication-credentials.js';
export {
  authenticationEnvSchema,
  DEFAULT_ACCESS_TOKEN_AUDIENCE,
  DEFAULT_AUTH_URL,
  loadAuthenticationConfig,
  type AuthenticationConfig,
} from './authentication-config.js';
export {
  createCredentialVerifier,
  type ApiKeyCheck,
  type CredentialVerifier,
  type CredentialVerifierOptions,
  type VerificationContext,
} from './credential-verifier.js';
export { ApiKeyVerdictCache, MAX_VERDICT_TTL_MS, type ApiKeyRefusal, type ApiKeyVerdict, type ApiKeyVerdictCacheOptions } from './credential-verifier-cache.js';
export { epochMs, RevocationList, type RevocationClaims, type RevocationListOptions } from './credential-verifier-revocations.js';
export { apiKeyCheckOver, createRemoteCredentialVerifier, verdictFromResponse, type RemoteCredentialVerifierOptions } from './credential-verifier-remote.js';
export { inProcessApiKeyCheck } from './credential-verifier-in-process.js';
export { holdsPermission, InterimAuthorizer, type AuthorizeOptions } from './interim-authorizer.js';
