import { Counter, type Registry } from 'prom-client';

type Increment = { inc(): void };

/** Where a verification's key record came from: what tells an operator the caches work. */
export type LookupLayer = 'local' | 'local_negative' | 'shared' | 'shared_negative' | 'database';

/**
 * The hot path's own metrics, on the service's registry (GET /metrics). The database layer
 * counts actual store reads, which is also how the tests show that a flood of unknown keys
 * does not reach Postgres.
 */
export class VerificationMetrics {
  readonly #lookups: Counter<'layer'>;
  readonly #verdicts: Counter<'result'>;
  readonly #invalidations: Counter<'origin'>;
  // Children bound once: resolving labels per call would hash them on every verification.
  readonly #boundLookups = new Map<string, Increment>();
  readonly #boundVerdicts = new Map<string, Increment>();

  constructor(registry?: Registry) {
    const registers = registry === undefined ? [] : [registry];
    this.#lookups = new Counter({ name: 'aegis_auth_api_key_lookups_total', help: 'API-key record lookups by the layer that answered', labelNames: ['layer'], registers });
    this.#verdicts = new Counter({ name: 'aegis_auth_api_key_verifications_total', help: 'VerifyApiKey answers by result (valid or the invalid reason)', labelNames: ['result'], registers });
    this.#invalidations = new Counter({ name: 'aegis_auth_api_key_cache_invalidations_total', help: 'Cached verdicts dropped, by where the news came from', labelNames: ['origin'], registers });
  }

  lookup(layer: LookupLayer): void {
    bound(this.#boundLookups, layer, () => this.#lookups.labels({ layer })).inc();
  }

  /** `valid`, an invalid reason or `throttled`: a small fixed set. */
  verdict(result: string): void {
    bound(this.#boundVerdicts, result, () => this.#verdicts.labels({ result })).inc();
  }

  invalidation(origin: 'local' | 'broadcast' | 'credential_event' | 'reconnect'): void {
    this.#invalidations.inc({ origin });
  }
}

function bound(children: Map<string, Increment>, label: string, make: () => Increment): Increment {
  let child = children.get(label);
  if (child === undefined) {
    child = make();
    children.set(label, child);
  }
  return child;
}
