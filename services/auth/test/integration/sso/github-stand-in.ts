// A local stand-in for GitHub's OAuth web flow and REST API, speaking the real endpoints and
// JSON: /login/oauth/authorize, /login/oauth/access_token (JSON only with
// `Accept: application/json`, errors as HTTP 200 with an `error` member, scopes
// comma-separated), GET /user and GET /user/emails under an API base (GitHub Enterprise
// Server layout: <web>/api/v3). Authorization is automatic for the user named by `login`.

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './test-oidc-provider.js';

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export interface GitHubStandIn {
  readonly webUrl: string;
  readonly apiUrl: string;
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string[];
  login: string;
}

export async function startGitHubStandIn(opts: { clientId: string; clientSecret: string; users: GitHubUser[] }): Promise<GitHubStandIn> {
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, { login: string; scope: string[] }>();
  const server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => json(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const webUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', webUrl);
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') return authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') return accessToken(req, res);
    if (url.pathname.startsWith('/api/v3/')) return api(req, res, url.pathname.slice('/api/v3'.length));
    json(res, 404, { message: 'Not Found' });
  }

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const user = opts.users.find((u) => u.login === q.get('login')) ?? opts.users[0]!;
    if (q.get('client_id') !== opts.clientId) return json(res, 404, { message: 'Not Found' });
    const code = randomBytes(10).toString('hex');
    codes.set(code, {
      clientId: q.get('client_id') ?? '',
      redirectUri: q.get('redirect_uri') ?? '',
      challenge: q.get('code_challenge_method') === 'S256' ? q.get('code_challenge') ?? '' : '',
      scope: (q.get('scope') ?? '').split(/[ ,]+/).filter((s) => s !== ''),
      login: user.login,
    });
    const back = new URL(q.get('redirect_uri') ?? '');
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.get('state') ?? '');
    res.writeHead(302, { location: back.href }).end();
  }

  async function accessToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const answer = (body: Record<string, string>): void => {
      // GitHub answers form-encoded unless the client asks for JSON.
      if ((req.headers['accept'] ?? '').includes('application/json')) return json(res, 200, body);
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(new URLSearchParams(body).toString());
    };
    if (form.get('client_id') !== opts.clientId || form.get('client_secret') !== opts.clientSecret) {
      return answer({ error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
    }
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code);
    const verifier = form.get('code_verifier') ?? '';
    const challengeOk = grant !== undefined && createHash('sha256').update(verifier).digest('base64url') === grant.challenge;
    if (grant === undefined || grant.redirectUri !== form.get('redirect_uri') || !challengeOk) {
      return answer({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
    }
    const token = `gho_${randomBytes(18).toString('hex')}`;
    tokens.set(token, { login: grant.login, scope: grant.scope });
    answer({ access_token: token, token_type: 'bearer', scope: grant.scope.join(',') });
  }

  function api(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (req.headers['user-agent'] === undefined) return json(res, 403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.' });
    const bearer = /^(?:Bearer|token) (\S+)$/.exec(req.headers['authorization'] ?? '')?.[1];
    const session = bearer === undefined ? undefined : tokens.get(bearer);
    if (session === undefined) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const user = opts.users.find((u) => u.login === session.login)!;
    if (req.method === 'GET' && path === '/user') {
      const primary = user.emails.find((e) => e.primary);
      return json(res, 200, { login: user.login, id: user.id, node_id: `U_${user.id}`, type: 'User', name: user.name, email: primary?.email ?? null });
    }
    if (req.method === 'GET' && path === '/user/emails') {
      if (!session.scope.includes('user:email') && !session.scope.includes('user')) return json(res, 404, { message: 'Not Found' });
      return json(res, 200, user.emails.map((e) => ({ ...e, visibility: e.primary ? 'public' : null })));
    }
    json(res, 404, { message: 'Not Found' });
  }

  return { webUrl, apiUrl: `${webUrl}/api/v3`, close: () => closeServer(server) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
