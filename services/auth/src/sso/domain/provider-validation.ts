import { invalidArgument } from '@aegis/shared';
import { DEFAULT_MFA_AMR_VALUES, defaultScopes, speaksOidc, type ProviderKind, type ProviderSettings } from './identity-provider.js';
import { providerUrlProblem, type UrlPolicy } from './provider-url.js';

// Checks an admin's provider configuration and fills the defaults. Every error names the
// request field (`provider.scopes[2]`) and never repeats the value.

export const PROVIDER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
// RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`.
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const DOMAIN_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
// As the users module names roles (`admin`, `ai_analyst`).
const ROLE_PATTERN = /^[a-z0-9][a-z0-9_]{0,62}$/;
const AMR_PATTERN = /^[\x21-\x7E]{1,256}$/;
const MAX_LIST = 50;

export interface ProviderInput {
  kind: ProviderKind | undefined;
  displayName: string;
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

export interface ValidationContext extends UrlPolicy {
  /** Base of Microsoft Entra ID issuers, e.g. https://login.microsoftonline.com. */
  microsoftAuthority: string;
}

export function requireProviderId(value: string, field = 'provider.provider_id'): string {
  if (!PROVIDER_ID_PATTERN.test(value)) throw invalidArgument(field, 'must be 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit');
  return value;
}

export function validateProviderSettings(input: ProviderInput, ctx: ValidationContext): ProviderSettings {
  const kind = input.kind;
  if (kind === undefined) throw invalidArgument('provider.kind', 'must be GOOGLE, MICROSOFT, GITHUB or OIDC');
  const displayName = input.displayName.trim();
  if (displayName.length < 1 || displayName.length > 100) throw invalidArgument('provider.display_name', 'must be 1-100 characters');
  const clientId = input.clientId.trim();
  if (clientId.length < 1 || clientId.length > 255) throw invalidArgument('provider.client_id', 'must be 1-255 characters');

  const scopes = distinct(input.scopes.length > 0 ? input.scopes : defaultScopes(kind));
  checkList(scopes, 'provider.scopes', SCOPE_PATTERN, 'must be an OAuth scope token (printable ASCII, no spaces or quotes)');
  if (speaksOidc(kind) && !scopes.includes('openid')) throw invalidArgument('provider.scopes', 'must include "openid" for an OpenID Connect provider');

  const requiredScopes = distinct(input.requiredScopes);
  checkList(requiredScopes, 'provider.required_scopes', SCOPE_PATTERN, 'must be an OAuth scope token');
  requiredScopes.forEach((scope, i) => {
    if (!scopes.includes(scope)) throw invalidArgument(`provider.required_scopes[${i}]`, 'must also be in provider.scopes (a scope never requested cannot be granted)');
  });

  const allowedEmailDomains = distinct(input.allowedEmailDomains.map((d) => d.trim().toLowerCase()));
  checkList(allowedEmailDomains, 'provider.allowed_email_domains', DOMAIN_PATTERN, 'must be a domain name such as example.com');

  if (input.requireMfa && kind === 'github') {
    throw invalidArgument('provider.require_mfa', 'GitHub does not report how a user authenticated; enforce two-factor authentication in the GitHub organisation instead');
  }
  const mfaAmrValues = distinct(input.mfaAmrValues.length > 0 ? input.mfaAmrValues : [...DEFAULT_MFA_AMR_VALUES]);
  checkList(mfaAmrValues, 'provider.mfa_amr_values', AMR_PATTERN, 'must be printable ASCII without spaces');

  const defaultRoles = distinct(input.defaultRoles);
  checkList(defaultRoles, 'provider.default_roles', ROLE_PATTERN, 'must be a role name (1-63 lowercase letters, digits or "_")');

  return {
    kind,
    displayName,
    issuerUrl: issuerFor(kind, input.issuerUrl.trim(), ctx),
    clientId,
    scopes,
    requiredScopes,
    allowedEmailDomains,
    requireMfa: input.requireMfa,
    mfaAmrValues,
    defaultRoles,
    enabled: input.enabled,
  };
}

function issuerFor(kind: ProviderKind, raw: string, ctx: ValidationContext): string {
  switch (kind) {
    case 'google':
    case 'github':
      // Fixed by the deployment's configuration (AEGIS_AUTH_SSO_GOOGLE_ISSUER, ..._GITHUB_URL).
      return '';
    case 'oidc': {
      if (raw === '') throw invalidArgument('provider.issuer_url', 'is required for an OIDC provider (the issuer its discovery document names)');
      const problem = providerUrlProblem(raw, ctx);
      if (problem !== undefined) throw invalidArgument('provider.issuer_url', problem);
      return raw;
    }
    case 'microsoft':
      return microsoftIssuer(raw, ctx);
  }
}

// Entra ID: the admin may give the full v2.0 issuer or just the directory (tenant id, a
// verified domain, or "organizations"); both become <authority>/<directory>/v2.0.
const DIRECTORY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;

function microsoftIssuer(raw: string, ctx: ValidationContext): string {
  if (raw === '') throw invalidArgument('provider.issuer_url', 'is required for MICROSOFT: the Entra ID directory (tenant id or domain) or its v2.0 issuer URL');
  if (DIRECTORY_PATTERN.test(raw)) return `${ctx.microsoftAuthority}/${raw}/v2.0`;
  const problem = providerUrlProblem(raw, ctx);
  if (problem !== undefined) throw invalidArgument('provider.issuer_url', problem);
  if (!raw.startsWith(`${ctx.microsoftAuthority}/`)) throw invalidArgument('provider.issuer_url', 'must be under the configured Microsoft authority (AEGIS_AUTH_SSO_MICROSOFT_AUTHORITY)');
  return raw;
}

function distinct(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()))];
}

function checkList(values: string[], field: string, pattern: RegExp, expectation: string): void {
  if (values.length > MAX_LIST) throw invalidArgument(field, `must have at most ${MAX_LIST} entries`);
  values.forEach((value, i) => {
    if (!pattern.test(value)) throw invalidArgument(`${field}[${i}]`, expectation);
  });
}
