import { AegisError } from '@aegis/shared';
import { parseMetadata } from '../../../src/sso/adapters/http/discovery.js';

const ISSUER = 'https://idp.example.com';
const policy = { allowHttpLoopback: false };
const oidc = { sameOriginIssuer: false };

function doc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/authorize`,
    token_endpoint: `${ISSUER}/token`,
    userinfo_endpoint: `${ISSUER}/userinfo`,
    jwks_uri: `${ISSUER}/jwks`,
    response_types_supported: ['code', 'id_token'],
    id_token_signing_alg_values_supported: ['RS256', 'HS256'],
    code_challenge_methods_supported: ['plain', 'S256'],
    ...overrides,
  };
}

function precondition(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AegisError && err.kind === 'failed_precondition') return err.message;
    throw err;
  }
  throw new Error('expected FailedPrecondition');
}

describe('discovery documents', () => {
  test('keeps the endpoints and narrows algorithms to the asymmetric allow-list', () => {
    const m = parseMetadata(doc(), ISSUER, 'the provider', policy, oidc);
    expect(m).toMatchObject({ issuer: ISSUER, tokenEndpoint: `${ISSUER}/token`, jwksUri: `${ISSUER}/jwks`, idTokenAlgorithms: ['RS256'] });
    expect(m.tokenEndpointAuthMethods).toEqual(['client_secret_basic']);
  });

  test('the issuer must be exactly the configured one (mix-up defence)', () => {
    expect(precondition(() => parseMetadata(doc({ issuer: 'https://idp.example.com/' }), ISSUER, 'p', policy, oidc))).toMatch(/another issuer/);
  });

  test('Entra ID: an issuer of the same origin is accepted (domain or {tenantid})', () => {
    const ms = 'https://login.microsoftonline.com/contoso.com/v2.0';
    const m = parseMetadata(doc({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' }), ms, 'p', policy, { sameOriginIssuer: true });
    expect(m.issuer).toBe('https://login.microsoftonline.com/{tenantid}/v2.0');
    expect(precondition(() => parseMetadata(doc({ issuer: 'https://evil.example/{tenantid}/v2.0' }), ms, 'p', policy, { sameOriginIssuer: true }))).toMatch(/another issuer/);
  });

  test.each([
    ['an http token endpoint', { token_endpoint: 'http://idp.example.com/token' }, /token_endpoint must use https/],
    ['no jwks_uri', { jwks_uri: undefined }, /no jwks_uri/],
    ['no code flow', { response_types_supported: ['id_token'] }, /authorization code/],
    ['no S256', { code_challenge_methods_supported: ['plain'] }, /S256/],
    ['only HS256 ID tokens', { id_token_signing_alg_values_supported: ['HS256'] }, /algorithms Aegis refuses/],
  ])('refuses %s', (_name, overrides, message) => {
    expect(precondition(() => parseMetadata(doc(overrides), ISSUER, 'p', policy, oidc))).toMatch(message);
  });
});
