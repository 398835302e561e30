import { failedPrecondition } from '@aegis/shared';
import { ID_TOKEN_ALGORITHMS } from '../../domain/id-token.js';
import { discoveryUrl, providerUrlProblem, type UrlPolicy } from '../../domain/provider-url.js';
import { statusError, type ProviderHttp } from './provider-http.js';

// OpenID Connect Discovery 1.0: fetched when a provider is saved (so a bad issuer is caught
// by the admin, not by the first user) and cached for logins. A stale copy is used while a
// refresh fails for a reason that may pass (the provider down), never for a broken document.

export interface ProviderMetadata {
  /** As the document names it; for Entra ID's multi-tenant endpoints it holds `{tenantid}`. */
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string | undefined;
  jwksUri: string;
  /** Our allow-list narrowed to what the provider says it signs ID tokens with. */
  idTokenAlgorithms: string[];
  tokenEndpointAuthMethods: string[];
}

export interface DiscoveryOptions {
  /** Entra ID: the document's issuer may differ from the configured one (a domain instead of the tenant id, `{tenantid}`) within the same origin. */
  sameOriginIssuer: boolean;
}

interface Cached {
  metadata: ProviderMetadata;
  fetchedAt: number;
}

export class DiscoveryCache {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<ProviderMetadata>>();

  constructor(private readonly http: ProviderHttp, private readonly ttlMs: number, private readonly policy: UrlPolicy) {}

  /** `fresh` bypasses the cache (saving a provider must see the document as it is now). */
  async get(issuer: string, what: string, opts: DiscoveryOptions & { fresh?: boolean }): Promise<ProviderMetadata> {
    const cached = this.cache.get(issuer);
    if (!opts.fresh && cached !== undefined && Date.now() - cached.fetchedAt < this.ttlMs) return cached.metadata;
    let pending = this.inflight.get(issuer);
    if (pending === undefined) {
      pending = this.fetch(issuer, what, opts).finally(() => this.inflight.delete(issuer));
      this.inflight.set(issuer, pending);
    }
    try {
      const metadata = await pending;
      this.cache.set(issuer, { metadata, fetchedAt: Date.now() });
      return metadata;
    } catch (err) {
      if (!opts.fresh && cached !== undefined && (err as { kind?: string }).kind === 'unavailable') return cached.metadata;
      throw err;
    }
  }

  private async fetch(issuer: string, what: string, opts: DiscoveryOptions): Promise<ProviderMetadata> {
    const where = `the discovery document of ${what}`;
    const answer = await this.http.json(discoveryUrl(issuer), {}, where);
    if (answer.status !== 200) throw statusError(answer.status, where) ?? failedPrecondition(`${where} is not available (HTTP ${answer.status}): check the issuer URL`);
    return parseMetadata(answer.body as Record<string, unknown>, issuer, where, this.policy, opts);
  }
}

export function parseMetadata(doc: Record<string, unknown>, issuer: string, where: string, policy: UrlPolicy, opts: DiscoveryOptions): ProviderMetadata {
  const text = (name: string): string | undefined => (typeof doc[name] === 'string' && doc[name] !== '' ? (doc[name] as string) : undefined);
  const list = (name: string): string[] | undefined => (Array.isArray(doc[name]) ? (doc[name] as unknown[]).filter((v): v is string => typeof v === 'string') : undefined);

  const docIssuer = text('issuer');
  if (docIssuer === undefined) throw failedPrecondition(`${where} has no issuer`);
  const issuerOk = docIssuer === issuer || (opts.sameOriginIssuer && sameOrigin(docIssuer, issuer));
  if (!issuerOk) throw failedPrecondition(`${where} names another issuer than the configured one: set issuer_url to exactly the issuer the provider publishes`);

  const endpoint = (name: string, required: boolean): string | undefined => {
    const value = text(name);
    if (value === undefined) {
      if (required) throw failedPrecondition(`${where} has no ${name}`);
      return undefined;
    }
    const problem = providerUrlProblem(value, policy, { allowQuery: true });
    if (problem !== undefined) throw failedPrecondition(`${where}: ${name} ${problem}`);
    return value;
  };

  const responseTypes = list('response_types_supported');
  if (responseTypes !== undefined && !responseTypes.some((t) => t.split(' ').includes('code'))) {
    throw failedPrecondition(`${where} does not support the authorization code flow`);
  }
  const pkceMethods = list('code_challenge_methods_supported');
  if (pkceMethods !== undefined && !pkceMethods.includes('S256')) throw failedPrecondition(`${where} does not support PKCE with S256`);

  const advertised = list('id_token_signing_alg_values_supported');
  const idTokenAlgorithms = advertised === undefined ? [...ID_TOKEN_ALGORITHMS] : ID_TOKEN_ALGORITHMS.filter((alg) => advertised.includes(alg));
  if (idTokenAlgorithms.length === 0) {
    throw failedPrecondition(`${where} signs ID tokens only with algorithms Aegis refuses (${advertised?.join(', ') ?? 'none'}); configure an asymmetric algorithm such as RS256 or ES256`);
  }

  return {
    issuer: docIssuer,
    authorizationEndpoint: endpoint('authorization_endpoint', true)!,
    tokenEndpoint: endpoint('token_endpoint', true)!,
    userinfoEndpoint: endpoint('userinfo_endpoint', false),
    jwksUri: endpoint('jwks_uri', true)!,
    idTokenAlgorithms,
    // RFC 8414 §2: absent means client_secret_basic.
    tokenEndpointAuthMethods: list('token_endpoint_auth_methods_supported') ?? ['client_secret_basic'],
  };
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
