import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { ApiKeyService, type VerifyApiKeyResponse } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { unavailable } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { clientTracingInterceptor } from '../telemetry/index.js';
import type { ApiKeyRefusal, ApiKeyVerdict } from './credential-verifier-cache.js';
import { createCredentialVerifier, type ApiKeyCheck, type CredentialVerifier } from './credential-verifier.js';
import type { CredentialEvents } from './credential-events.js';
import { remoteJwks, type RemoteJwksOptions } from './jwt/index.js';

// Auth refuses longer keys with InvalidArgument; refusing them here saves the round trip.
const MAX_API_KEY_LENGTH = 256;

const REASONS: Partial<Record<ApiKeyInvalidReason, ApiKeyRefusal>> = {
  [ApiKeyInvalidReason.REVOKED]: 'revoked',
  [ApiKeyInvalidReason.EXPIRED]: 'expired',
  [ApiKeyInvalidReason.DISABLED]: 'disabled',
  [ApiKeyInvalidReason.OWNER_DISABLED]: 'owner_disabled',
  [ApiKeyInvalidReason.THROTTLED]: 'throttled',
};

/** VerifyApiKey's answer as a verdict; malformed, bad checksum and not found all read "invalid". */
export function verdictFromResponse(res: VerifyApiKeyResponse): ApiKeyVerdict {
  if (res.valid) {
    // A valid answer without a principal is a broken auth, not a pass.
    if (res.principal === undefined) throw unavailable('the authentication service gave an incomplete answer');
    return { valid: true, principal: res.principal, keyId: res.keyId, ...(res.expireTime !== undefined ? { expiresAt: timestampMs(res.expireTime) } : {}) };
  }
  const retryAfterMs = res.retryAfter === undefined ? undefined : Number(res.retryAfter.seconds) * 1000 + Math.ceil(res.retryAfter.nanos / 1e6);
  return {
    valid: false,
    refusal: REASONS[res.reason] ?? 'invalid',
    ...(res.keyId !== '' ? { keyId: res.keyId } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/**
 * Asks ApiKeyService.VerifyApiKey over `transport`, within `timeoutMs`. Any failure to get an
 * answer is `unavailable`: the request is refused (fail closed), never let through.
 */
export function apiKeyCheckOver(transport: Transport, opts: { timeoutMs: number }): ApiKeyCheck {
  const client = createClient(ApiKeyService, transport);
  return async (key, context) => {
    if (key.length > MAX_API_KEY_LENGTH) return { valid: false, refusal: 'invalid' };
    let res: VerifyApiKeyResponse;
    try {
      res = await client.verifyApiKey(
        { key, source: context.source ?? '' },
        { timeoutMs: opts.timeoutMs, ...(context.signal !== undefined ? { signal: context.signal } : {}) },
      );
    } catch (err) {
      const code = ConnectError.from(err).code;
      if (code === Code.InvalidArgument) return { valid: false, refusal: 'invalid' };
      throw unavailable('the authentication service is unavailable: retry later', { cause: err });
    }
    return verdictFromResponse(res);
  };
}

export interface RemoteCredentialVerifierOptions {
  /** Base URL of the auth service (`AEGIS_AUTH_URL`). */
  authUrl: string;
  issuer: string;
  audience: string | string[];
  /** Deadline of one VerifyApiKey call (default 2 s). */
  timeoutMs?: number;
  apiKeyCacheTtlMs?: number;
  credentialEvents?: CredentialEvents;
  jwks?: RemoteJwksOptions;
  logger?: Logger;
}

/**
 * The verifier of every service but auth: API keys through auth's VerifyApiKey (HTTP/2, one
 * connection, binary), access tokens locally against auth's JWKS.
 */
export function createRemoteCredentialVerifier(opts: RemoteCredentialVerifierOptions): Promise<CredentialVerifier> {
  const baseUrl = opts.authUrl.replace(/\/+$/, '');
  // Pings keep the one connection honest: a silently dead peer is noticed within seconds,
  // not at the next request's deadline.
  const sessions = new Http2SessionManager(baseUrl, { pingIntervalMs: 10_000, pingTimeoutMs: 5_000, idleConnectionTimeoutMs: 60_000 });
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: '2',
    useBinaryFormat: true,
    sessionManager: sessions,
    interceptors: [clientTracingInterceptor()],
  });
  return createCredentialVerifier({
    checkApiKey: apiKeyCheckOver(transport, { timeoutMs: opts.timeoutMs ?? 2_000 }),
    ...(opts.apiKeyCacheTtlMs !== undefined ? { apiKeyCacheTtlMs: opts.apiKeyCacheTtlMs } : {}),
    accessTokens: { issuer: opts.issuer, audience: opts.audience, keys: remoteJwks(`${baseUrl}/.well-known/jwks.json`, opts.jwks) },
    ...(opts.credentialEvents !== undefined ? { credentialEvents: opts.credentialEvents } : {}),
    ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
    onClose: async () => sessions.abort(),
  });
}
