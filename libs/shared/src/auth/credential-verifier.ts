import type { JWK, JWTVerifyGetKey } from 'jose';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { resourceExhausted, unauthenticated, unavailable } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { PresentedCredential } from './authentication-credentials.js';
import { ApiKeyVerdictCache, type ApiKeyRefusal, type ApiKeyVerdict } from './credential-verifier-cache.js';
import { RevocationList, type RevocationClaims } from './credential-verifier-revocations.js';
import type { CredentialEvent, CredentialEvents } from './credential-events.js';
import { createAccessTokenVerifier, type AccessTokenVerifier } from './jwt/index.js';

/**
 * Turns a presented credential into the principal it stands for. Rejects with AegisError:
 * `unauthenticated` when the credential is refused (the message says why, never what it was),
 * `unavailable` when it cannot be decided now (fail closed), `resource_exhausted` when the
 * source is throttled.
 */
export interface CredentialVerifier {
  verify(credential: PresentedCredential, context?: VerificationContext): Promise<Principal>;
  /** Stops listening to credential events and releases connections. */
  close(): Promise<void>;
}

export interface VerificationContext {
  /** The request's signal, for checks that may stop early (the shared API-key check ignores it). */
  signal?: AbortSignal;
  /** Caller's source for throttling failed verifications (never the credential). */
  source?: string;
}

/** Asks whoever knows API keys: auth's VerifyApiKey over the network, or its verifier in process. */
export type ApiKeyCheck = (key: string, context: VerificationContext) => Promise<ApiKeyVerdict>;

export interface CredentialVerifierOptions {
  checkApiKey: ApiKeyCheck;
  /** TTL of cached API-key verdicts, at most 1000 ms; 0 when `checkApiKey` caches by itself. */
  apiKeyCacheTtlMs?: number;
  apiKeyCacheMaxEntries?: number;
  accessTokens: {
    /** Expected `iss` (auth's public URL). */
    issuer: string;
    /** Accepted `aud` values. */
    audience: string | string[];
    /** `remoteJwks(url)` or a local key set. */
    keys: JWTVerifyGetKey | { keys: JWK[] };
    algorithms?: string[];
    clockToleranceSec?: number;
    /**
     * A revocation source besides the credential events (auth's own shared revocation marks,
     * which an instance started after the event still finds). Failing to answer refuses the token.
     */
    isRevoked?: (claims: RevocationClaims) => boolean | Promise<boolean>;
  };
  /** Revocations heard here reach this verifier's cache and token checks. */
  credentialEvents?: CredentialEvents;
  logger?: Logger;
  /** Extra work for close() (the remote check's connections). */
  onClose?: () => Promise<void>;
}

const REFUSALS: Record<Exclude<ApiKeyRefusal, 'throttled'>, string> = {
  invalid: 'invalid API key',
  revoked: 'API key revoked',
  expired: 'API key expired',
  disabled: 'API key disabled',
  owner_disabled: 'API key refused: its owner or tenant is disabled',
};

/**
 * The verifier every interceptor uses, whatever answers for API keys: verdicts cached for at
 * most a second and dropped on credential events; access tokens verified locally (signature,
 * claims) and refused when a credential event revoked them, their session or their user.
 */
export async function createCredentialVerifier(opts: CredentialVerifierOptions): Promise<CredentialVerifier> {
  const cache = new ApiKeyVerdictCache({
    ...(opts.apiKeyCacheTtlMs !== undefined ? { ttlMs: opts.apiKeyCacheTtlMs } : {}),
    ...(opts.apiKeyCacheMaxEntries !== undefined ? { maxEntries: opts.apiKeyCacheMaxEntries } : {}),
  });
  const revocations = new RevocationList({
    onEviction: (kind) => opts.logger?.warn({ kind }, 'revocation list full: forgot a live revocation (raise its bound or shorten token lifetimes)'),
  });
  const { isRevoked: alsoRevoked, ...tokenOptions } = opts.accessTokens;
  const verifyAccessToken: AccessTokenVerifier = createAccessTokenVerifier({
    ...tokenOptions,
    isRevoked: async (claims) => {
      if (revocations.isRevoked(claims)) return true;
      if (alsoRevoked === undefined) return false;
      try {
        return await alsoRevoked(claims);
      } catch (err) {
        throw unavailable('could not check whether the access token was revoked: retry later', { cause: err });
      }
    },
  });
  const unsubscribe = await opts.credentialEvents?.subscribe(
    (event) => apply(event, cache, revocations),
    { onReconnect: () => cache.clear() },
  );

  return {
    async verify(credential, context = {}) {
      if (credential.kind === 'access_token') return verifyAccessToken(credential.value);
      // Not the request's signal: overlapping requests share this call, and one caller going
      // away must not fail the others. The call's own deadline bounds it.
      const source = context.source;
      const verdict = await cache.get(credential.value, () => opts.checkApiKey(credential.value, source !== undefined ? { source } : {}));
      if (verdict.valid) return verdict.principal;
      if (verdict.refusal === 'throttled') {
        throw resourceExhausted('too many failed credential checks from this source: retry later', verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {});
      }
      throw unauthenticated(REFUSALS[verdict.refusal]);
    },
    async close() {
      await unsubscribe?.();
      await opts.onClose?.();
    },
  };
}

function apply(event: CredentialEvent, cache: ApiKeyVerdictCache, revocations: RevocationList): void {
  switch (event.kind) {
    case 'api_key':
      cache.dropKey(event.keyId);
      return;
    case 'user':
      cache.dropUser(event.tenantId, event.userId);
      revocations.lockOutUser(event.tenantId, event.userId, event.at);
      return;
    case 'access_token':
      revocations.revokeToken(event.jti, event.expiresAt);
      return;
    case 'session':
      revocations.revokeSession(event.tenantId, event.sessionId, event.expiresAt);
      return;
  }
}
