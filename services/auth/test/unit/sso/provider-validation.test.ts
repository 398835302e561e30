import { AegisError } from '@aegis/shared';
import { requireProviderId, validateProviderSettings, type ProviderInput } from '../../../src/sso/domain/provider-validation.js';

const ctx = { allowHttpLoopback: false, microsoftAuthority: 'https://login.microsoftonline.com' };

function input(overrides: Partial<ProviderInput> = {}): ProviderInput {
  return {
    kind: 'oidc',
    displayName: 'Okta',
    issuerUrl: 'https://acme.okta.com',
    clientId: 'client-1',
    scopes: [],
    requiredScopes: [],
    allowedEmailDomains: [],
    requireMfa: false,
    mfaAmrValues: [],
    defaultRoles: [],
    enabled: true,
    ...overrides,
  };
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof AegisError && err.kind === 'invalid_argument') return err.field;
    throw err;
  }
  return undefined;
}

describe('identity provider configuration', () => {
  test('fills the defaults: OIDC scopes and the MFA amr values', () => {
    const settings = validateProviderSettings(input(), ctx);
    expect(settings.scopes).toEqual(['openid', 'email', 'profile']);
    expect(settings.mfaAmrValues).toEqual(['mfa', 'otp', 'hwk', 'swk']);
    expect(settings.issuerUrl).toBe('https://acme.okta.com');
  });

  test('GitHub gets its own default scopes and ignores issuer_url', () => {
    const settings = validateProviderSettings(input({ kind: 'github', issuerUrl: 'https://ignored.example' }), ctx);
    expect(settings.scopes).toEqual(['read:user', 'user:email']);
    expect(settings.issuerUrl).toBe('');
  });

  test('lower-cases and de-duplicates e-mail domains', () => {
    const settings = validateProviderSettings(input({ allowedEmailDomains: ['Example.COM', 'example.com', 'corp.example.org'] }), ctx);
    expect(settings.allowedEmailDomains).toEqual(['example.com', 'corp.example.org']);
  });

  test.each([
    ['no kind', { kind: undefined }, 'provider.kind'],
    ['an OIDC provider without issuer', { issuerUrl: '' }, 'provider.issuer_url'],
    ['a plain-http issuer', { issuerUrl: 'http://acme.okta.com' }, 'provider.issuer_url'],
    ['an issuer with credentials', { issuerUrl: 'https://user:pw@acme.okta.com' }, 'provider.issuer_url'],
    ['an issuer with a query', { issuerUrl: 'https://acme.okta.com?x=1' }, 'provider.issuer_url'],
    ['OIDC scopes without openid', { scopes: ['email'] }, 'provider.scopes'],
    ['a scope with a space', { scopes: ['openid', 'a b'] }, 'provider.scopes[1]'],
    ['a required scope never requested', { requiredScopes: ['groups'] }, 'provider.required_scopes[0]'],
    ['a malformed domain', { allowedEmailDomains: ['not a domain'] }, 'provider.allowed_email_domains[0]'],
    ['a domain with an @', { allowedEmailDomains: ['bob@example.com'] }, 'provider.allowed_email_domains[0]'],
    ['MFA on GitHub', { kind: 'github' as const, requireMfa: true }, 'provider.require_mfa'],
    ['a bad role name', { defaultRoles: ['Admin!'] }, 'provider.default_roles[0]'],
    ['an empty client id', { clientId: ' ' }, 'provider.client_id'],
    ['an empty display name', { displayName: '' }, 'provider.display_name'],
  ])('refuses %s, naming the field', (_name, overrides, field) => {
    expect(fieldOf(() => validateProviderSettings(input(overrides as Partial<ProviderInput>), ctx))).toBe(field);
  });

  test('plain http on loopback only when the operator allows it', () => {
    const loopback = input({ issuerUrl: 'http://127.0.0.1:4000' });
    expect(fieldOf(() => validateProviderSettings(loopback, ctx))).toBe('provider.issuer_url');
    expect(validateProviderSettings(loopback, { ...ctx, allowHttpLoopback: true }).issuerUrl).toBe('http://127.0.0.1:4000');
    expect(fieldOf(() => validateProviderSettings(input({ issuerUrl: 'http://10.0.0.1:4000' }), { ...ctx, allowHttpLoopback: true }))).toBe('provider.issuer_url');
  });

  test('Microsoft: a directory name becomes the v2.0 issuer; a full URL must be under the authority', () => {
    expect(validateProviderSettings(input({ kind: 'microsoft', issuerUrl: 'contoso.onmicrosoft.com' }), ctx).issuerUrl)
      .toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0');
    const tenantUrl = 'https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0';
    expect(validateProviderSettings(input({ kind: 'microsoft', issuerUrl: tenantUrl }), ctx).issuerUrl).toBe(tenantUrl);
    expect(fieldOf(() => validateProviderSettings(input({ kind: 'microsoft', issuerUrl: 'https://evil.example/v2.0' }), ctx))).toBe('provider.issuer_url');
    expect(fieldOf(() => validateProviderSettings(input({ kind: 'microsoft', issuerUrl: '' }), ctx))).toBe('provider.issuer_url');
  });

  test('provider ids are slugs', () => {
    expect(requireProviderId('okta-prod')).toBe('okta-prod');
    for (const bad of ['', '-okta', 'Okta', 'ok_ta', 'a'.repeat(64)]) expect(fieldOf(() => requireProviderId(bad))).toBe('provider.provider_id');
  });
});
