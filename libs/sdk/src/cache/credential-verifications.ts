import type { Client } from '@connectrpc/connect';
import type { CredentialEventService } from '@aegis/proto/aegis/auth/v1/credential_event_service_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { VerifiedCredentialCache, type CredentialCacheOptions, type Verified } from './credential-cache.js';
import { CredentialWatch, type CredentialWatchOptions, type WatchState } from './credential-watch.js';

/** `credentialCache` of the client options (docs/sdk.md, "The verification cache"). */
export type CredentialCacheSettings = Omit<CredentialCacheOptions, 'now'> & CredentialWatchOptions;

/**
 * The guard's memory of verified credentials and the event stream that keeps it honest. The
 * stream opens on the first lookup, so clients that never guard anything open none.
 */
export class VerifiedCredentials {
  readonly #cache: VerifiedCredentialCache;
  readonly #watch: CredentialWatch;

  constructor(client: Client<typeof CredentialEventService>, settings: CredentialCacheSettings & { now?: () => number } = {}) {
    this.#cache = new VerifiedCredentialCache(settings);
    this.#watch = new CredentialWatch(client, this.#cache, settings);
  }

  lookup(credential: string, tenantId: string): Principal | undefined {
    this.#watch.start();
    return this.#cache.lookup(credential, tenantId);
  }

  /** Take before asking auth, pass to `remember`. */
  ticket(): number | undefined {
    return this.#cache.ticket();
  }

  remember(ticket: number | undefined, credential: string, verified: Verified): void {
    this.#cache.remember(ticket, credential, verified);
  }

  /** `live` while cached verifications are used. */
  get state(): WatchState {
    return this.#watch.state;
  }

  get size(): number {
    return this.#cache.size;
  }

  close(): Promise<void> {
    return this.#watch.close();
  }
}
