import { failedPrecondition } from '@aegis/shared';
import type { JSONWebKeySet } from 'jose';
import type { ProviderKeys } from '../../domain/id-token.js';
import { statusError, type ProviderHttp } from './provider-http.js';

// Providers' signing keys, cached per JWKS URI. A token signed by a key we have not seen
// forces one refresh, but at most once per cooldown: a stream of tokens with made-up `kid`s
// must not turn into a stream of requests to the provider.

const REFRESH_COOLDOWN_MS = 30_000;

interface Cached {
  jwks: JSONWebKeySet;
  fetchedAt: number;
}

export class JwksCache {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<JSONWebKeySet>>();

  constructor(private readonly http: ProviderHttp, private readonly ttlMs: number) {}

  keysFor(jwksUri: string, what: string): ProviderKeys {
    return { keys: ({ refresh }) => this.get(jwksUri, what, refresh) };
  }

  private async get(jwksUri: string, what: string, refresh: boolean): Promise<JSONWebKeySet> {
    const cached = this.cache.get(jwksUri);
    const age = cached === undefined ? Infinity : Date.now() - cached.fetchedAt;
    if (cached !== undefined && (refresh ? age < REFRESH_COOLDOWN_MS : age < this.ttlMs)) return cached.jwks;
    let pending = this.inflight.get(jwksUri);
    if (pending === undefined) {
      pending = this.fetch(jwksUri, what).finally(() => this.inflight.delete(jwksUri));
      this.inflight.set(jwksUri, pending);
    }
    const jwks = await pending;
    this.cache.set(jwksUri, { jwks, fetchedAt: Date.now() });
    return jwks;
  }

  private async fetch(jwksUri: string, what: string): Promise<JSONWebKeySet> {
    const where = `the JWKS of ${what}`;
    const answer = await this.http.json(jwksUri, {}, where);
    if (answer.status !== 200) throw statusError(answer.status, where) ?? failedPrecondition(`${where} is not available (HTTP ${answer.status})`);
    const keys = (answer.body as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw failedPrecondition(`${where} has no "keys" array`);
    return { keys: keys.filter((k): k is JSONWebKeySet['keys'][number] => typeof k === 'object' && k !== null) };
  }
}
