import type { Logger } from '../logging/index.js';
import { MemoryBroadcast, RedisBroadcast, type Broadcast } from '../kv/index.js';

/**
 * Platform-wide news about credentials that stop being valid, published by auth and heard by
 * every service's authentication interceptor, so a cached API-key verdict or a locally verified
 * JWT is refused everywhere within a second, not when a cache entry happens to expire.
 */
export type CredentialEvent =
  /** An API key was revoked, rotated past its grace, disabled or changed: drop cached verdicts. */
  | { kind: 'api_key'; tenantId: string; keyId: string }
  /** A user was disabled or lost roles: drop everything cached for them, refuse their tokens issued before `at`. */
  | { kind: 'user'; tenantId: string; userId: string; at: number }
  /** An access token was revoked: refuse its jti until it would have expired anyway (`tenantId` since the SDK's watch stream). */
  | { kind: 'access_token'; jti: string; expiresAt: number; tenantId?: string }
  /** A session ended: refuse access tokens carrying its id until `expiresAt`. */
  | { kind: 'session'; tenantId: string; sessionId: string; expiresAt: number };

// Under the platform's Redis key prefix (default `aegis:`): `aegis:platform:credential-events`.
const CHANNEL = 'platform:credential-events';

export interface CredentialEvents {
  publish(event: CredentialEvent): Promise<void>;
  /** `onReconnect`: events may have been missed, so callers should drop their caches. */
  subscribe(handler: (event: CredentialEvent) => void, opts?: { onReconnect?: () => void }): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// Without Redis, services share a process (`npm start`), so one in-process channel reaches all.
let processWide: MemoryBroadcast | undefined;

export function createCredentialEvents(opts: { redisUrl?: string; name: string; keyPrefix?: string; logger?: Logger }): CredentialEvents {
  const broadcast: Broadcast = opts.redisUrl !== undefined
    ? new RedisBroadcast({ url: opts.redisUrl, name: `${opts.name}-credential-events`, keyPrefix: opts.keyPrefix ?? 'aegis:', ...(opts.logger !== undefined ? { logger: opts.logger } : {}) })
    : (processWide ??= new MemoryBroadcast());
  const ownsBroadcast = opts.redisUrl !== undefined;
  return {
    publish: (event) => broadcast.publish(CHANNEL, JSON.stringify(event)),
    subscribe: (handler, subscribeOpts) => broadcast.subscribe(CHANNEL, (message) => {
      const event = parseEvent(message, opts.logger);
      if (event !== undefined) handler(event);
    }, subscribeOpts),
    close: async () => {
      if (ownsBroadcast) await broadcast.close();
    },
  };
}

function parseEvent(message: string, logger: Logger | undefined): CredentialEvent | undefined {
  try {
    const event = JSON.parse(message) as CredentialEvent;
    if (typeof event === 'object' && event !== null && typeof event.kind === 'string') return event;
  } catch {
    // fall through
  }
  logger?.warn('ignoring a malformed credential event');
  return undefined;
}
