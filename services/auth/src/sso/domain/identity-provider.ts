// An identity provider as the SSO module reasons about it, independent of protobuf and SQL.

export type ProviderKind = 'google' | 'microsoft' | 'github' | 'oidc';

/** What kind of protocol conversation a kind needs. GitHub speaks plain OAuth 2.0: no ID token. */
export function speaksOidc(kind: ProviderKind): boolean {
  return kind !== 'github';
}

/** The admin-editable configuration (everything but the secret and bookkeeping). */
export interface ProviderSettings {
  kind: ProviderKind;
  displayName: string;
  /** Normalised issuer (OIDC, MICROSOFT); empty for GOOGLE (fixed by configuration) and GITHUB. */
  issuerUrl: string;
  clientId: string;
  scopes: string[];
  requiredScopes: string[];
  allowedEmailDomains: string[];
  requireMfa: boolean;
  mfaAmrValues: string[];
  defaultRoles: string[];
  enabled: boolean;
}

export interface IdentityProviderRecord extends ProviderSettings {
  tenantId: string;
  providerId: string;
  /** The client secret sealed with the keyring (AAD `identity_provider:<tenant>:<id>`); null when none. */
  sealedClientSecret: string | null;
  version: number;
  createTime: Date;
  updateTime: Date;
}

/** Associated data binding a sealed client secret to its provider row. */
export function clientSecretContext(tenantId: string, providerId: string): string {
  return `identity_provider:${tenantId}:${providerId}`;
}

export const DEFAULT_MFA_AMR_VALUES: readonly string[] = ['mfa', 'otp', 'hwk', 'swk'];

export function defaultScopes(kind: ProviderKind): string[] {
  // GitHub: the profile and the e-mail list (to find a verified primary address).
  return kind === 'github' ? ['read:user', 'user:email'] : ['openid', 'email', 'profile'];
}
