import { failedPrecondition, isAegisError, unavailable, type AegisError } from '@aegis/shared';

// Every request Aegis makes to an identity provider goes through here: a deadline, a cap on
// the answer's size, and redirects followed only within the same origin (a provider that
// bounces us to another host could be steering the client secret or the code elsewhere).
// Failures become Unavailable (try again later) or FailedPrecondition (fix the configuration),
// with messages naming the provider and host, never a secret, a code or a token.

export interface ProviderHttpOptions {
  timeoutMs: number;
  maxBodyBytes?: number;
  maxRedirects?: number;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export interface ProviderRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  form?: URLSearchParams;
}

const USER_AGENT = 'Aegis-Auth-SSO/1';

export class ProviderHttp {
  private readonly maxBodyBytes: number;
  private readonly maxRedirects: number;

  constructor(private readonly opts: ProviderHttpOptions) {
    this.maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
    this.maxRedirects = opts.maxRedirects ?? 3;
  }

  /** `what` names the endpoint for messages, e.g. `the token endpoint of provider "okta"`. */
  async request(url: string, req: ProviderRequest, what: string): Promise<HttpAnswer> {
    let target = new URL(url);
    for (let hop = 0; ; hop += 1) {
      const res = await this.send(target, req, what);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || location === null) {
        return { status: res.status, headers: res.headers, text: await this.readBody(res, what, target) };
      }
      await res.body?.cancel();
      const next = new URL(location, target);
      // A redirected POST would resend the form (client secret, code) somewhere we did not choose.
      if (req.method === 'POST') throw failedPrecondition(`${what} answered with a redirect; configure the provider with the endpoint's final URL`);
      if (next.origin !== target.origin) throw failedPrecondition(`${what} redirected to another host (${next.host}); configure the provider with the final URL`);
      if (hop + 1 > this.maxRedirects) throw failedPrecondition(`${what} redirected more than ${this.maxRedirects} times`);
      target = next;
    }
  }

  /** `request` plus JSON parsing; a body that is not a JSON object is FailedPrecondition. */
  async json(url: string, req: ProviderRequest, what: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> | unknown[] }> {
    const answer = await this.request(url, { ...req, headers: { accept: 'application/json', ...req.headers } }, what);
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      throw statusError(answer.status, what) ?? failedPrecondition(`${what} did not answer with JSON (HTTP ${answer.status})`);
    }
    if (typeof body !== 'object' || body === null) throw failedPrecondition(`${what} answered with JSON that is not an object (HTTP ${answer.status})`);
    return { status: answer.status, headers: answer.headers, body: body as Record<string, unknown> | unknown[] };
  }

  private async send(target: URL, req: ProviderRequest, what: string): Promise<Response> {
    try {
      return await fetch(target, {
        method: req.method ?? 'GET',
        headers: { 'user-agent': USER_AGENT, ...req.headers },
        ...(req.form !== undefined ? { body: req.form } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      throw networkError(err, what, target, this.opts.timeoutMs);
    }
  }

  private async readBody(res: Response, what: string, target: URL): Promise<string> {
    const reader = res.body?.getReader();
    if (reader === undefined) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.maxBodyBytes) {
          await reader.cancel();
          throw failedPrecondition(`${what} answered with more than ${this.maxBodyBytes} bytes`);
        }
        chunks.push(value);
      }
    } catch (err) {
      if (isAegisError(err)) throw err;
      throw networkError(err, what, target, this.opts.timeoutMs);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** 5xx and 429 mean "try later"; other statuses are for the caller to interpret. */
export function statusError(status: number, what: string): AegisError | undefined {
  if (status >= 500 || status === 429) return unavailable(`${what} is failing (HTTP ${status}); try again later`);
  return undefined;
}

function networkError(err: unknown, what: string, target: URL, timeoutMs: number): AegisError {
  const name = (err as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return unavailable(`${what} did not answer within ${timeoutMs} ms (${target.host})`, { cause: err });
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const detail = typeof code === 'string' ? code : 'network error';
  return unavailable(`${what} could not be reached at ${target.host} (${detail}); check the provider URL and the network`, { cause: err });
}
