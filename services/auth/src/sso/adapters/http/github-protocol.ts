import { failedPrecondition } from '@aegis/shared';
import { parseScopeList, type ExternalIdentity } from '../../domain/external-identity.js';
import { chooseGitHubEmail, parseGitHubEmails } from '../../domain/github-email.js';
import type { IdentityProviderRecord } from '../../domain/identity-provider.js';
import type { AuthorizationRequest, CodeRedemption, ProviderProtocol } from '../../ports.js';
import { statusError, type ProviderHttp } from './provider-http.js';
import { stringClaim, tokenEndpointError } from './token-response.js';

// GitHub's OAuth 2.0 web flow (not OpenID Connect: no ID token, no nonce). The user is read
// from the REST API with the access token, which is then dropped. Base URLs are configurable
// for GitHub Enterprise Server (web https://ghe.example.com, API https://ghe.example.com/api/v3).

export interface GitHubProtocolOptions {
  webUrl: string;
  apiUrl: string;
}

const API_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };

export class GitHubProtocol implements ProviderProtocol {
  constructor(private readonly http: ProviderHttp, private readonly opts: GitHubProtocolOptions) {}

  async check(): Promise<void> {
    // Nothing to discover: the endpoints are fixed by configuration.
  }

  async authorizationUrl(provider: IdentityProviderRecord, req: AuthorizationRequest): Promise<string> {
    const url = new URL(`${this.opts.webUrl}/login/oauth/authorize`);
    url.searchParams.set('client_id', provider.clientId);
    url.searchParams.set('redirect_uri', req.redirectUri);
    url.searchParams.set('scope', provider.scopes.join(' '));
    url.searchParams.set('state', req.state);
    url.searchParams.set('code_challenge', req.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    if (req.loginHint !== '') url.searchParams.set('login', req.loginHint);
    return url.toString();
  }

  async redeem(provider: IdentityProviderRecord, req: CodeRedemption): Promise<ExternalIdentity> {
    const what = `GitHub identity provider "${provider.providerId}" of tenant "${provider.tenantId}"`;
    if (req.clientSecret === null) throw failedPrecondition(`${what} has no client secret: GitHub requires one; set it with UpdateIdentityProvider`);
    const tokenWhat = `the token endpoint of ${what}`;
    const form = new URLSearchParams({ client_id: provider.clientId, client_secret: req.clientSecret, code: req.code, redirect_uri: req.redirectUri, code_verifier: req.codeVerifier });
    const answer = await this.http.json(`${this.opts.webUrl}/login/oauth/access_token`, { method: 'POST', form }, tokenWhat);
    const tokens = answer.body as Record<string, unknown>;
    // GitHub reports a refused code with HTTP 200 and an `error` member.
    if (answer.status !== 200 || tokens['error'] !== undefined) throw tokenEndpointError(answer.status === 200 ? 400 : answer.status, tokens, tokenWhat, provider.providerId);
    const accessToken = stringClaim(tokens['access_token']);
    if (accessToken === undefined) throw failedPrecondition(`${tokenWhat} returned no access token`);
    const auth = { ...API_HEADERS, authorization: `Bearer ${accessToken}` };

    const userWhat = `the user API of ${what}`;
    const user = await this.http.json(`${this.opts.apiUrl}/user`, { headers: auth }, userWhat);
    if (user.status !== 200) throw statusError(user.status, userWhat) ?? failedPrecondition(`${userWhat} refused the access token it just issued (HTTP ${user.status})`);
    const profile = user.body as Record<string, unknown>;
    if (typeof profile['id'] !== 'number' && typeof profile['id'] !== 'string') throw failedPrecondition(`${userWhat} returned no user id`);

    // Without the user:email scope this answers 404/403: then no address is known to be verified.
    const emailsWhat = `the e-mail API of ${what}`;
    const emails = await this.http.json(`${this.opts.apiUrl}/user/emails`, { headers: auth }, emailsWhat);
    if (emails.status >= 500 || emails.status === 429) throw statusError(emails.status, emailsWhat)!;
    const email = emails.status === 200 ? chooseGitHubEmail(parseGitHubEmails(emails.body), provider.allowedEmailDomains) : undefined;

    // RFC 6749 §5.1: without `scope` the grant is what was requested.
    const granted = typeof tokens['scope'] === 'string' ? tokens['scope'] : undefined;
    return {
      subject: String(profile['id']),
      email: email ?? null,
      emailVerified: email !== undefined,
      displayName: stringClaim(profile['name']) ?? stringClaim(profile['login']) ?? String(profile['id']),
      amr: [],
      acr: '',
      grantedScopes: granted === undefined ? req.requestedScopes : parseScopeList(granted),
    };
  }
}
