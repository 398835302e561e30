// A real OpenID provider for the SSO tests: the certified `oidc-provider` package, on a
// loopback port, with its own signing key, clients that must use PKCE, and accounts whose
// login result (amr, acr) each test chooses. Login and consent go through interaction
// endpoints this file mounts next to the provider, driven by `authorizeInBrowser`.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { Provider as ProviderType } from 'oidc-provider';

// oidc-provider warns on import (Node 20 is older than it would like) and about its built-in
// memory adapter, which is exactly what a throwaway test provider wants: keep those quiet.
async function quietly<T>(fn: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] !== 'string' || !args[0].startsWith('oidc-provider')) warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

const { Provider } = await quietly(() => import('oidc-provider'));

export interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface TestAccount {
  email: string;
  email_verified: boolean;
  name: string;
}

export interface TestOidcProviderOptions {
  clients: TestClient[];
  accounts: Record<string, TestAccount>;
  /**
   * A misbehaving provider for the audience test: token requests are answered as if this
   * client had sent them (the ID token is then issued to it, not to the caller).
   */
  answerTokenRequestsAs?: { clientId: string; clientSecret: string };
}

export interface TestOidcProvider {
  readonly issuer: string;
  close(): Promise<void>;
}

export async function startTestOidcProvider(opts: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: `test-${Math.random().toString(36).slice(2, 8)}`, alg: 'RS256', use: 'sig' };

  const provider: ProviderType = await quietly(() => new Provider(issuer, {
    clients: opts.clients.map((c) => ({ ...c, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' })),
    jwks: { keys: [signingKey] },
    cookies: { keys: ['aegis-sso-test-cookie-key'] },
    // amr and acr ride on the openid scope, as most providers put them in every ID token.
    claims: { acr: null, amr: null, auth_time: null, sid: null, iss: null, openid: ['sub', 'amr', 'acr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = opts.accounts[sub];
      if (account === undefined) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: { AuthorizationCode: 60, AccessToken: 600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  }));
  provider.on('server_error', (_ctx, err) => console.error('test OIDC provider error', err));

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void route(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
    const interaction = /^\/interaction\/([^/]+)(?:\/(login|consent))?$/.exec(url.pathname);
    if (interaction !== null) return interact(req, res, interaction[2]);
    if (url.pathname === '/token' && req.method === 'POST') return token(req, res);
    callback(req, res);
  }

  async function interact(req: IncomingMessage, res: ServerResponse, step: string | undefined): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (step === undefined) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ uid: details.uid, prompt: details.prompt.name, params: details.params }));
      return;
    }
    const form = new URLSearchParams(await body(req));
    if (step === 'login') {
      const amr = (form.get('amr') ?? '').split(',').filter((m) => m !== '');
      const acr = form.get('acr') ?? undefined;
      await provider.interactionFinished(req, res, { login: { accountId: form.get('account') ?? '', ...(amr.length > 0 ? { amr } : {}), ...(acr !== undefined ? { acr } : {}) } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId !== undefined
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params['client_id']) });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope !== undefined) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims !== undefined) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }

  // The misbehaving variant re-addresses token requests to another client (PKCE and the
  // code are untouched, so the provider answers as if that client had asked).
  function token(req: IncomingMessage, res: ServerResponse): void {
    const substitute = opts.answerTokenRequestsAs;
    if (substitute !== undefined) {
      req.headers['authorization'] = `Basic ${Buffer.from(`${substitute.clientId}:${substitute.clientSecret}`).toString('base64')}`;
    }
    callback(req, res);
  }

  return {
    issuer,
    close: () => closeServer(server),
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/**
 * A server that republishes another provider's discovery document under its own issuer
 * (a mix-up attempt): logins go to the real provider, whose ID tokens name the real issuer.
 */
export async function startDiscoveryImpostor(upstreamIssuer: string): Promise<{ issuer: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.url !== '/.well-known/openid-configuration') return void res.writeHead(404).end();
      const doc = await (await fetch(`${upstreamIssuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...doc, issuer }));
    })().catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, close: () => closeServer(server) };
}
