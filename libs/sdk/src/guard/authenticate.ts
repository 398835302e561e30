import { Code } from '@connectrpc/connect';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { AuthClients } from '../clients.js';
import { parseCredential } from './credential.js';
import { GuardServiceError, UnauthenticatedError, atStep, type UnauthenticatedReason } from './errors.js';
import { msOf, type CallOptions } from './call-options.js';

const KEY_REFUSALS: Partial<Record<ApiKeyInvalidReason, [UnauthenticatedReason, string]>> = {
  [ApiKeyInvalidReason.REVOKED]: ['revoked', 'the API key has been revoked'],
  [ApiKeyInvalidReason.EXPIRED]: ['expired', 'the API key has expired'],
  [ApiKeyInvalidReason.DISABLED]: ['disabled', 'the API key is disabled'],
  [ApiKeyInvalidReason.OWNER_DISABLED]: ['owner_disabled', 'the owner of the API key is disabled'],
  [ApiKeyInvalidReason.THROTTLED]: ['throttled', 'too many failed verifications from this source: retry later'],
};

/**
 * `require_api_key`: an API key through VerifyApiKey, an access token through IntrospectToken
 * (signature, expiry and revocation, so a revoked token is refused like a revoked key).
 * Malformed, bad-checksum and unknown keys all read "invalid": the caller learns nothing more.
 * With the verification cache (`auth.verifiedCredentials`), a credential verified while auth's
 * credential events stream in is not asked about again until an event names it, the stream
 * ends, its expiry or the cache's TTL; refusals are never cached.
 */
export async function authenticate(auth: AuthClients, raw: string | undefined, tenantId: string, source: string, call: CallOptions): Promise<Principal> {
  const credential = parseCredential(raw);
  const cache = auth.verifiedCredentials;
  const cached = cache?.lookup(credential.value, tenantId);
  if (cached !== undefined) return cached;
  const ticket = cache?.ticket();
  if (credential.kind === 'access_token') {
    const res = await atStep('authenticate', () => auth.tokens.introspectToken({ token: credential.value, tenantId }, call));
    if (!res.active || res.principal === undefined) throw new UnauthenticatedError('inactive_token', 'the access token is not active (expired, revoked or not for this tenant)');
    // Without an expiry and an id an event could name, a token is not worth the risk of keeping.
    if (res.expireTime !== undefined && res.jti !== '') cache?.remember(ticket, credential.value, { principal: res.principal, expiresAt: timestampMs(res.expireTime), jti: res.jti });
    return res.principal;
  }
  const res = await atStep('authenticate', () => auth.apiKeys.verifyApiKey({ key: credential.value, tenantId, source }, call))
    .catch((err: unknown) => {
      // VerifyApiKey answers InvalidArgument only for shapes it will never accept (e.g. too long).
      if (err instanceof GuardServiceError && err.code === Code.InvalidArgument) throw new UnauthenticatedError('invalid', 'the API key is not valid');
      throw err;
    });
  if (res.valid && res.principal !== undefined) {
    cache?.remember(ticket, credential.value, { principal: res.principal, ...(res.expireTime !== undefined ? { expiresAt: timestampMs(res.expireTime) } : {}) });
    return res.principal;
  }
  const [reason, message] = KEY_REFUSALS[res.reason] ?? ['invalid', 'the API key is not valid'];
  throw new UnauthenticatedError(reason, message, reason === 'throttled' && res.retryAfter !== undefined ? msOf(res.retryAfter) : undefined);
}
