import { failedPrecondition, unauthenticated } from '@aegis/shared';
import { parseScopeList, type ExternalIdentity } from '../../domain/external-identity.js';
import { validateIdToken, type IdTokenClaims } from '../../domain/id-token.js';
import type { IdentityProviderRecord, ProviderKind, ProviderSettings } from '../../domain/identity-provider.js';
import type { AuthorizationRequest, CodeRedemption, ProviderProtocol } from '../../ports.js';
import type { DiscoveryCache, ProviderMetadata } from './discovery.js';
import type { JwksCache } from './jwks-cache.js';
import { statusError, type ProviderHttp } from './provider-http.js';
import { stringClaim, tokenEndpointError } from './token-response.js';

// OpenID Connect authorization code flow with PKCE, for Google, Microsoft Entra ID and any
// provider found by discovery (Okta, Auth0, AD FS, Keycloak, ...).

export interface OidcProtocolOptions {
  googleIssuer: string;
  clockToleranceSec: number;
}

export class OidcProtocol implements ProviderProtocol {
  constructor(
    private readonly http: ProviderHttp,
    private readonly discovery: DiscoveryCache,
    private readonly jwks: JwksCache,
    private readonly opts: OidcProtocolOptions,
  ) {}

  async check(tenantId: string, providerId: string, settings: ProviderSettings): Promise<void> {
    await this.metadata(settings, describe(tenantId, providerId), true);
  }

  async authorizationUrl(provider: IdentityProviderRecord, req: AuthorizationRequest): Promise<string> {
    const metadata = await this.metadata(provider, describe(provider.tenantId, provider.providerId), false);
    const url = new URL(metadata.authorizationEndpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', provider.clientId);
    url.searchParams.set('redirect_uri', req.redirectUri);
    url.searchParams.set('scope', provider.scopes.join(' '));
    url.searchParams.set('state', req.state);
    url.searchParams.set('nonce', req.nonce);
    url.searchParams.set('code_challenge', req.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    if (req.loginHint !== '') url.searchParams.set('login_hint', req.loginHint);
    return url.toString();
  }

  async redeem(provider: IdentityProviderRecord, req: CodeRedemption): Promise<ExternalIdentity> {
    const what = describe(provider.tenantId, provider.providerId);
    const metadata = await this.metadata(provider, what, false);
    const tokens = await this.exchange(provider, metadata, req, `the token endpoint of ${what}`);
    const idToken = stringClaim(tokens['id_token']);
    if (idToken === undefined) throw failedPrecondition(`the token endpoint of ${what} returned no ID token: is "openid" among the provider's scopes?`);
    const claims = await validateIdToken(idToken, this.jwks.keysFor(metadata.jwksUri, what), {
      issuer: metadata.issuer,
      clientId: provider.clientId,
      nonce: req.nonce,
      algorithms: metadata.idTokenAlgorithms,
      clockToleranceSec: this.opts.clockToleranceSec,
      ...(provider.kind === 'google' ? { alsoAcceptedIssuers: ['accounts.google.com'] } : {}),
    });
    const accessToken = stringClaim(tokens['access_token']);
    const profile = metadata.userinfoEndpoint !== undefined && accessToken !== undefined
      ? await this.userinfo(metadata.userinfoEndpoint, accessToken, claims.sub, `the userinfo endpoint of ${what}`)
      : {};
    // RFC 6749 §5.1: without `scope` the grant is what was requested.
    const granted = typeof tokens['scope'] === 'string' ? tokens['scope'] : undefined;
    return identityFrom(provider.kind, claims, profile, granted === undefined ? req.requestedScopes : parseScopeList(granted));
  }

  private issuerOf(settings: Pick<ProviderSettings, 'kind' | 'issuerUrl'>): string {
    return settings.kind === 'google' ? this.opts.googleIssuer : settings.issuerUrl;
  }

  private metadata(settings: Pick<ProviderSettings, 'kind' | 'issuerUrl'>, what: string, fresh: boolean): Promise<ProviderMetadata> {
    return this.discovery.get(this.issuerOf(settings), what, { fresh, sameOriginIssuer: settings.kind === 'microsoft' });
  }

  private async exchange(provider: IdentityProviderRecord, metadata: ProviderMetadata, req: CodeRedemption, what: string): Promise<Record<string, unknown>> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: req.code, redirect_uri: req.redirectUri, code_verifier: req.codeVerifier });
    const headers: Record<string, string> = {};
    const methods = metadata.tokenEndpointAuthMethods;
    if (req.clientSecret !== null && (methods.includes('client_secret_basic') || !methods.includes('client_secret_post'))) {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      const user = encodeURIComponent(provider.clientId);
      const password = encodeURIComponent(req.clientSecret);
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    } else {
      form.set('client_id', provider.clientId);
      if (req.clientSecret !== null) form.set('client_secret', req.clientSecret);
    }
    const answer = await this.http.json(metadata.tokenEndpoint, { method: 'POST', headers, form }, what);
    const body = answer.body as Record<string, unknown>;
    if (answer.status !== 200) throw tokenEndpointError(answer.status, body, what, provider.providerId);
    return body;
  }

  private async userinfo(endpoint: string, accessToken: string, subject: string, what: string): Promise<Record<string, unknown>> {
    const answer = await this.http.json(endpoint, { headers: { authorization: `Bearer ${accessToken}` } }, what);
    if (answer.status !== 200) throw statusError(answer.status, what) ?? failedPrecondition(`${what} refused the access token it just issued (HTTP ${answer.status})`);
    const profile = answer.body as Record<string, unknown>;
    // OIDC Core §5.3.2: a userinfo answer about someone else must not be used.
    if (profile['sub'] !== subject) throw unauthenticated(`${what} described another subject than the ID token; start the login again`);
    return profile;
  }
}

function describe(tenantId: string, providerId: string): string {
  return `identity provider "${providerId}" of tenant "${tenantId}"`;
}

function identityFrom(kind: ProviderKind, claims: IdTokenClaims, profile: Record<string, unknown>, grantedScopes: string[]): ExternalIdentity {
  // Profile claims may come from either; authentication facts (amr, acr) only from the signed token.
  const claim = (name: string): unknown => profile[name] ?? claims[name];
  const email = stringClaim(claim('email'))?.toLowerCase() ?? null;
  const verified = claim('email_verified') === true || claim('email_verified') === 'true'
    // Entra ID does not send email_verified; `xms_edov` says the domain owner verified it.
    || (kind === 'microsoft' && claim('xms_edov') === true);
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((m): m is string => typeof m === 'string') : [];
  return {
    subject: claims.sub,
    email,
    emailVerified: email !== null && verified,
    displayName: stringClaim(claim('name')) ?? stringClaim(claim('preferred_username')) ?? email ?? claims.sub,
    amr,
    acr: stringClaim(claims.acr) ?? '',
    grantedScopes,
  };
}
