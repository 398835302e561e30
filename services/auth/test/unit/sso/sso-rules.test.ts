import type { ExternalIdentity } from '../../../src/sso/domain/external-identity.js';
import { checkSsoRules, hasMfa } from '../../../src/sso/domain/sso-rules.js';

const rules = { allowedEmailDomains: [] as string[], requiredScopes: [] as string[], requireMfa: false, mfaAmrValues: ['mfa', 'otp', 'hwk', 'swk'] };

function identity(overrides: Partial<ExternalIdentity> = {}): ExternalIdentity {
  return { subject: 's1', email: 'alice@example.com', emailVerified: true, displayName: 'Alice', amr: ['pwd'], acr: '', grantedScopes: ['openid', 'email'], ...overrides };
}

describe('enterprise SSO rules', () => {
  test('no rules: every vouched-for login passes', () => {
    expect(checkSsoRules(rules, identity({ email: null, emailVerified: false }))).toBeUndefined();
  });

  test('allowed domains: exact domain of a verified address', () => {
    const domains = { ...rules, allowedEmailDomains: ['example.com'] };
    expect(checkSsoRules(domains, identity())).toBeUndefined();
    expect(checkSsoRules(domains, identity({ email: 'eve@evil.example' }))).toMatchObject({ rule: 'email_domain' });
    // Subdomains are other domains: list them explicitly.
    expect(checkSsoRules(domains, identity({ email: 'bob@sub.example.com' }))).toMatchObject({ rule: 'email_domain' });
    expect(checkSsoRules(domains, identity({ emailVerified: false }))).toMatchObject({ rule: 'email_domain' });
    expect(checkSsoRules(domains, identity({ email: null, emailVerified: false }))).toMatchObject({ rule: 'email_domain' });
  });

  test('the refusal names the domain but never the address', () => {
    const refusal = checkSsoRules({ ...rules, allowedEmailDomains: ['example.com'] }, identity({ email: 'eve@evil.example' }));
    expect(refusal?.message).toContain('evil.example');
    expect(refusal?.message).not.toContain('eve@');
  });

  test('required scopes must all be granted', () => {
    const scoped = { ...rules, requiredScopes: ['email', 'groups'] };
    expect(checkSsoRules(scoped, identity({ grantedScopes: ['openid', 'email', 'groups'] }))).toBeUndefined();
    const refusal = checkSsoRules(scoped, identity());
    expect(refusal).toMatchObject({ rule: 'required_scope' });
    expect(refusal?.message).toContain('groups');
  });

  test('MFA: an amr value from the list, or a multi-factor acr', () => {
    const mfa = { ...rules, requireMfa: true };
    expect(checkSsoRules(mfa, identity())).toMatchObject({ rule: 'mfa' });
    expect(checkSsoRules(mfa, identity({ amr: [] }))).toMatchObject({ rule: 'mfa' });
    expect(checkSsoRules(mfa, identity({ amr: ['pwd', 'otp'] }))).toBeUndefined();
    expect(checkSsoRules(mfa, identity({ amr: ['hwk'] }))).toBeUndefined();
    expect(checkSsoRules(mfa, identity({ acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor' }))).toBeUndefined();
    expect(checkSsoRules(mfa, identity({ acr: 'urn:mace:incommon:iap:silver' }))).toMatchObject({ rule: 'mfa' });
  });

  test('the configured amr values replace the defaults', () => {
    expect(hasMfa(['fido'], { amr: ['otp'], acr: '' })).toBe(false);
    expect(hasMfa(['fido'], { amr: ['fido'], acr: '' })).toBe(true);
    expect(hasMfa(['phrh'], { amr: [], acr: 'phrh' })).toBe(true);
  });

  test('the domain rule is checked before MFA (both fail: the domain is reported)', () => {
    const both = { ...rules, allowedEmailDomains: ['example.org'], requireMfa: true };
    expect(checkSsoRules(both, identity())).toMatchObject({ rule: 'email_domain' });
  });
});
