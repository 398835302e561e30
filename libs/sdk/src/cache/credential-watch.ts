import type { Client } from '@connectrpc/connect';
import type { CredentialEventService, WatchCredentialEventsResponse } from '@aegis/proto/aegis/auth/v1/credential_event_service_pb.js';
import { WatchStream, watchMessageKind } from '../transport/watch-stream.js';
import type { VerifiedCredentialCache } from './credential-cache.js';

// Keeps auth's WatchCredentialEvents stream open for the cache: the cache is used only from
// the `subscribed` message until the stream ends or falls silent, then reconnects with
// backoff and jitter (WatchStream). A refusal (no `credential:watch`, an SDK talking to an
// older auth) is retried rarely: the guard keeps working, every call asking auth as before.

export interface CredentialWatchOptions {
  /** First reconnection delay bound (default 100 ms), doubling up to `maxBackoffMs`, full jitter. */
  baseBackoffMs?: number;
  /** Default 10 000 ms. */
  maxBackoffMs?: number;
  /** After PermissionDenied, Unauthenticated or Unimplemented (default 60 000 ms). */
  refusedBackoffMs?: number;
}

const DEFAULT_HEARTBEAT_MS = 3_000;
// Revocations ride this stream, so a silent one is given up sooner than policy's (3 heartbeats).
const SILENCE_FACTOR = 2.5;

export type WatchState = 'idle' | 'connecting' | 'live' | 'closed';

export class CredentialWatch {
  readonly #stream: WatchStream<WatchCredentialEventsResponse>;
  readonly #cache: VerifiedCredentialCache;
  #started = false;
  #closed = false;

  constructor(client: Client<typeof CredentialEventService>, cache: VerifiedCredentialCache, opts: CredentialWatchOptions = {}) {
    this.#cache = cache;
    this.#stream = new WatchStream<WatchCredentialEventsResponse>({
      // No deadline: the stream is meant to stay open; silence and errors end it.
      open: (signal) => client.watchCredentialEvents({}, { signal, timeoutMs: 0 }),
      classify: (message) => watchMessageKind(message.event, DEFAULT_HEARTBEAT_MS),
      onLive: () => cache.goLive(),
      onEvent: (message) => apply(cache, message),
      onLost: () => cache.goDark(),
      silenceFactor: SILENCE_FACTOR,
      ...(opts.baseBackoffMs !== undefined ? { initialBackoffMs: opts.baseBackoffMs } : {}),
      ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
      ...(opts.refusedBackoffMs !== undefined ? { refusedBackoffMs: opts.refusedBackoffMs } : {}),
    });
  }

  get state(): WatchState {
    if (this.#closed) return 'closed';
    if (!this.#started) return 'idle';
    return this.#stream.live ? 'live' : 'connecting';
  }

  /** Starts watching on first use; later calls do nothing. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#stream.start();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cache.goDark();
    await this.#stream.close();
  }
}

function apply(cache: VerifiedCredentialCache, message: WatchCredentialEventsResponse): void {
  const event = message.event;
  switch (event.case) {
    case 'apiKeyChanged':
      cache.dropApiKey(event.value.tenantId, event.value.keyId);
      return;
    case 'userLockedOut':
      cache.dropUser(event.value.tenantId, event.value.userId);
      return;
    case 'accessTokenRevoked':
      cache.dropAccessToken(event.value.jti);
      return;
    case 'sessionEnded':
      cache.dropSession(event.value.tenantId, event.value.sessionId);
      return;
    case 'heartbeat':
    case 'subscribed':
      return;
    default:
      // A kind this SDK does not know: it may revoke something, so trust nothing cached.
      cache.clear();
  }
}
