import { failedPrecondition, unauthenticated, type AegisError } from '@aegis/shared';
import { statusError } from './provider-http.js';

// What a token endpoint's refusal means for the caller. A refused code is the user's problem
// (start again: Unauthenticated); refused client credentials or a mismatched redirect are
// the operator's (FailedPrecondition). The provider's error_description is not passed on:
// it is free text from outside, and the error code says enough.

const CODE_REFUSED = new Set(['invalid_grant', 'bad_verification_code']);
const CLIENT_REFUSED = new Set(['invalid_client', 'unauthorized_client', 'incorrect_client_credentials']);

export function tokenEndpointError(status: number, body: Record<string, unknown>, what: string, providerId: string): AegisError {
  const code = typeof body['error'] === 'string' ? body['error'].replace(/[^\w.-]/g, '').slice(0, 64) : '';
  if (CODE_REFUSED.has(code)) {
    return unauthenticated(`${what} refused the authorization code (${code}): it expired, was already used, or does not match this login; start the login again`);
  }
  if (CLIENT_REFUSED.has(code) || status === 401) {
    return failedPrecondition(`${what} refused Aegis's client credentials (${code || `HTTP ${status}`}): check client_id and the client secret of identity provider "${providerId}"`);
  }
  if (code === 'redirect_uri_mismatch') {
    return failedPrecondition(`${what} does not accept the redirect URI: register it with the provider's application for "${providerId}"`);
  }
  return statusError(status, what) ?? failedPrecondition(`${what} refused the code exchange (${code || `HTTP ${status}`})`);
}

export function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
