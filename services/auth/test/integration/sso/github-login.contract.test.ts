// GitHub login (OAuth 2.0, no OpenID Connect) end to end against a local stand-in that speaks
// GitHub's real endpoints and JSON, at configurable base URLs, on both backend sets.

import { Code, ConnectError } from '@connectrpc/connect';
import { IdentityProviderKind } from '@aegis/proto/aegis/auth/v1/identity_provider_pb.js';
import { startGitHubStandIn, type GitHubStandIn } from './github-stand-in.js';
import { browseToCallback, embeddedSsoBackend, exchange, externalSsoBackend, login, startSsoAuth, tempDataDir, TENANT, type SsoAuth } from './sso-harness.js';

const CLIENT_ID = 'Iv1.0123456789abcdef';
const CLIENT_SECRET = '0123456789abcdef0123456789abcdef01234567';

async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe.each([embeddedSsoBackend(), externalSsoBackend()])('GitHub login on $name', (backend) => {
  let github: GitHubStandIn;
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: SsoAuth;

  beforeAll(async () => {
    await backend.setUp();
    github = await startGitHubStandIn({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      users: [
        { id: 583231, login: 'octocat', name: 'The Octocat', emails: [
          { email: 'octocat@personal.example', primary: true, verified: true },
          { email: 'octocat@corp.example', primary: false, verified: true },
          { email: 'octocat@unverified.example', primary: false, verified: false },
        ] },
        { id: 9919, login: 'hubot', name: null, emails: [{ email: 'hubot@unverified.example', primary: true, verified: false }] },
      ],
    });
    dataDir = await tempDataDir();
    auth = await startSsoAuth({ ...backend.env(dataDir.path), AEGIS_AUTH_SSO_GITHUB_URL: github.webUrl, AEGIS_AUTH_SSO_GITHUB_API_URL: github.apiUrl });
    const create = (providerId: string, extra: Record<string, unknown> = {}, clientSecret = CLIENT_SECRET) => auth.providers.createIdentityProvider({
      tenantId: TENANT,
      provider: { providerId, kind: IdentityProviderKind.GITHUB, displayName: 'GitHub', clientId: CLIENT_ID, enabled: true, ...extra },
      clientSecret,
    });
    await create('github');
    await create('github-corp', { allowedEmailDomains: ['corp.example'] });
    await create('github-unverified', { allowedEmailDomains: ['unverified.example'] });
    await create('github-wrong-secret', {}, 'not-the-secret');
  });

  afterAll(async () => {
    await auth?.stop();
    await github?.close();
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('the authorization URL is GitHub\'s, with PKCE and without a nonce', async () => {
    const started = await auth.oauth.getAuthorizationUrl({ tenantId: TENANT, providerId: 'github', redirectUri: 'https://app.example.test/sso/callback', loginHint: 'octocat' });
    const url = new URL(started.authorizationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${github.webUrl}/login/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ client_id: CLIENT_ID, scope: 'read:user user:email', state: started.state, code_challenge_method: 'S256', login: 'octocat' });
    expect(url.searchParams.has('nonce')).toBe(false);
  });

  test('a login creates the user from the verified primary address; the next one links to it by GitHub id', async () => {
    const first = await login(auth, 'github', { account: 'octocat' });
    expect(first.userCreated).toBe(true);
    expect(first.user).toMatchObject({ email: 'octocat@personal.example', displayName: 'The Octocat' });
    expect(first.user?.identities.map((i) => [i.providerId, i.subject])).toEqual([['github', '583231']]);
    expect(first.session?.amr).toEqual([]);
    expect(first.tokens?.accessToken).not.toBe('');
    const second = await login(auth, 'github', { account: 'octocat' });
    expect(second.user?.userId).toBe(first.user!.userId);
    expect(second.userCreated).toBe(false);
  });

  test('with allowed domains, a verified secondary address in one of them is used', async () => {
    const corp = await login(auth, 'github-corp', { account: 'octocat' });
    expect(corp.user?.email).toBe('octocat@corp.example');
  });

  test('an unverified address never satisfies the domain rule', async () => {
    const err = await rejectionOf(login(auth, 'github-unverified', { account: 'hubot' }));
    expect(err.code).toBe(Code.PermissionDenied);
  });

  test('a refused code is Unauthenticated; refused client credentials are FailedPrecondition without the secret', async () => {
    const attempt = await browseToCallback(auth, 'github', { account: 'octocat' });
    attempt.callback.searchParams.set('code', 'deadbeef');
    const badCode = await rejectionOf(exchange(auth, attempt));
    expect(badCode.code).toBe(Code.Unauthenticated);
    expect(badCode.rawMessage).toMatch(/bad_verification_code/);

    const wrongSecret = await rejectionOf(login(auth, 'github-wrong-secret', { account: 'octocat' }));
    expect(wrongSecret.code).toBe(Code.FailedPrecondition);
    expect(wrongSecret.rawMessage).toMatch(/incorrect_client_credentials/);
    expect(wrongSecret.rawMessage).not.toContain('not-the-secret');
  });
});
