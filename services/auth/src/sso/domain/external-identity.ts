// What a provider told us about the person logging in, in one shape for every kind.

export interface ExternalIdentity {
  /** The provider's stable id for the account (`sub`, GitHub's numeric id). Never the e-mail. */
  subject: string;
  /** Lower-cased; null when the provider gave none. */
  email: string | null;
  /** Only a verified address may satisfy a domain rule or link to an existing user. */
  emailVerified: boolean;
  displayName: string;
  /** OIDC `amr` of the authentication, [] when absent (GitHub never has it). */
  amr: string[];
  /** OIDC `acr`, '' when absent. */
  acr: string;
  /** Scopes the provider granted (the token response's `scope`, else what was requested). */
  grantedScopes: string[];
}

/** The part after the last "@", lower-cased; undefined when the address has none. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  return email.slice(at + 1).toLowerCase();
}

/** `scope` of a token response: space-separated per RFC 6749, comma-separated at GitHub. */
export function parseScopeList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((s) => s !== '');
}
