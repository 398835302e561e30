import type { ProviderSettings } from './identity-provider.js';
import { emailDomain, type ExternalIdentity } from './external-identity.js';

// The Kaizen enterprise SSO rules a login must pass after the provider vouched for the user:
// allowed e-mail domains, required scopes and MFA. A refusal is an answer with a reason
// (audited by the caller), phrased so the user can be told what to do.

export type RuleRefusal =
  | { rule: 'email_domain'; message: string }
  | { rule: 'required_scope'; message: string }
  | { rule: 'mfa'; message: string };

type Rules = Pick<ProviderSettings, 'allowedEmailDomains' | 'requiredScopes' | 'requireMfa' | 'mfaAmrValues'>;

// `acr` values that providers use to say "more than one factor" (OpenID PAPE, Okta).
const MFA_ACR_VALUES = new Set([
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical',
  'urn:okta:loa:2fa:any',
]);

export function checkSsoRules(rules: Rules, identity: ExternalIdentity): RuleRefusal | undefined {
  return checkEmailDomain(rules, identity) ?? checkRequiredScopes(rules, identity) ?? checkMfa(rules, identity);
}

function checkEmailDomain(rules: Rules, identity: ExternalIdentity): RuleRefusal | undefined {
  if (rules.allowedEmailDomains.length === 0) return undefined;
  if (identity.email === null || !identity.emailVerified) {
    return { rule: 'email_domain', message: 'this tenant only admits verified e-mail addresses of its domains, and the provider reported none' };
  }
  const domain = emailDomain(identity.email);
  if (domain !== undefined && rules.allowedEmailDomains.includes(domain)) return undefined;
  return { rule: 'email_domain', message: `e-mail domain ${domain ?? '(none)'} is not allowed to log in to this tenant` };
}

function checkRequiredScopes(rules: Rules, identity: ExternalIdentity): RuleRefusal | undefined {
  const missing = rules.requiredScopes.filter((scope) => !identity.grantedScopes.includes(scope));
  if (missing.length === 0) return undefined;
  return { rule: 'required_scope', message: `the provider did not grant the required scope(s) ${missing.join(', ')}: approve them at the provider and log in again` };
}

function checkMfa(rules: Rules, identity: ExternalIdentity): RuleRefusal | undefined {
  if (!rules.requireMfa || hasMfa(rules.mfaAmrValues, identity)) return undefined;
  return { rule: 'mfa', message: 'this tenant requires multi-factor authentication and the provider did not report it (amr/acr): log in with a second factor' };
}

export function hasMfa(mfaAmrValues: readonly string[], identity: Pick<ExternalIdentity, 'amr' | 'acr'>): boolean {
  if (identity.amr.some((method) => mfaAmrValues.includes(method))) return true;
  return identity.acr !== '' && (MFA_ACR_VALUES.has(identity.acr) || mfaAmrValues.includes(identity.acr));
}
