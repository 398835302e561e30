// Which URLs Aegis will talk to on behalf of an identity provider. Provider URLs come from an
// admin (issuer) or from a provider's discovery document (endpoints), and Aegis sends client
// secrets and authorization codes to them, so they must be https. Plain http is accepted
// only for loopback hosts, and only when the operator allows it (local development, tests).

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface UrlPolicy {
  allowHttpLoopback: boolean;
}

/** The reason a URL is refused, or undefined when it is acceptable. Never repeats the URL. */
export function providerUrlProblem(raw: string, policy: UrlPolicy, opts: { allowQuery?: boolean } = {}): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.hash !== '' || raw.includes('#')) return 'must not contain a fragment';
  if (!opts.allowQuery && (url.search !== '' || raw.includes('?'))) return 'must not contain a query';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) {
    return policy.allowHttpLoopback ? undefined : 'must use https (plain http on loopback needs AEGIS_AUTH_SSO_ALLOW_HTTP_LOOPBACK=true)';
  }
  return 'must use https';
}

/** `<issuer>/.well-known/openid-configuration`, as OpenID Connect Discovery 1.0 §4 builds it. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}
