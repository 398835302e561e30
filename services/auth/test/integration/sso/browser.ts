// A minimal browser for the authorization code flow: follows the provider's redirects with a
// cookie jar, logs in and consents through the interaction endpoints, and stops at the
// redirect back to the relying party, whose URL carries `code` and `state`.

export interface BrowserLogin {
  /** Account id at the provider. */
  account: string;
  amr?: string[];
  acr?: string;
}

export class Browser {
  private readonly cookies = new Map<string, string>();

  /** Returns the callback URL (with `code` and `state`, or `error`). */
  async authorize(authorizationUrl: string, login: BrowserLogin, redirectUri: string): Promise<URL> {
    let url = new URL(authorizationUrl);
    for (let hop = 0; hop < 12; hop += 1) {
      const res = await this.fetch(url);
      const next = await this.redirectOf(res, url);
      if (next.href.startsWith(redirectUri)) return next;
      url = next.pathname.startsWith('/interaction/') ? await this.interact(next, login) : next;
      if (url.href.startsWith(redirectUri)) return url;
    }
    throw new Error(`no redirect to ${redirectUri} after 12 hops`);
  }

  private async interact(url: URL, login: BrowserLogin): Promise<URL> {
    const details = await (await this.fetch(url)).json() as { prompt: string };
    const form = new URLSearchParams(details.prompt === 'login'
      ? { account: login.account, amr: (login.amr ?? []).join(','), ...(login.acr !== undefined ? { acr: login.acr } : {}) }
      : {});
    const step = details.prompt === 'login' ? 'login' : 'consent';
    const res = await this.fetch(new URL(`${url.pathname}/${step}`, url), { method: 'POST', body: form });
    return await this.redirectOf(res, url);
  }

  private async fetch(url: URL, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: cookie === '' ? {} : { cookie } });
    for (const header of res.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  private async redirectOf(res: Response, from: URL): Promise<URL> {
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || location === null) {
      const text = (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300);
      throw new Error(`expected a redirect from ${from.pathname}, got HTTP ${res.status}: ${text}`);
    }
    return new URL(location, from);
  }
}
