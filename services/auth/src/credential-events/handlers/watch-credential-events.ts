import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { WatchCredentialEventsRequest, WatchCredentialEventsResponseSchema } from '@aegis/proto/aegis/auth/v1/credential_event_service_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import {
  callerOptions,
  epochMs,
  holdsPermission,
  permissionDenied,
  requirePrincipal,
  requireTenantId,
  resourceExhausted,
  unauthenticated,
  unavailable,
  type CredentialEvent,
  type PermissionChecker,
} from '@aegis/shared';
import type { CredentialEventFeed } from '../credential-event-feed.js';
import { revokesWatcher, watchScopeFor } from '../domain/watch-scope.js';

export const WATCH_PERMISSION = 'credential:watch';

export interface WatchHandlerDeps {
  feed: CredentialEventFeed;
  /** Decides `credential:watch` for callers whose credential does not carry it (API keys: roles live in policy). */
  permissions: Pick<PermissionChecker, 'require'>;
  platformTenantId: string;
  heartbeatMs: number;
}

type Message = MessageInitShape<typeof WatchCredentialEventsResponseSchema>;

/** Subscribed, then every event in the caller's scope, with heartbeats in the silences. */
export async function* watchCredentialEvents(deps: WatchHandlerDeps, req: WatchCredentialEventsRequest, ctx: HandlerContext): AsyncIterable<Message> {
  const caller = requirePrincipal(ctx);
  const requested = req.tenantId === '' ? undefined : requireTenantId(req.tenantId);
  const answer = watchScopeFor(caller, requested, deps.platformTenantId);
  if (!answer.allowed) throw permissionDenied(answer.reason);
  await requireWatchPermission(deps, caller, ctx);
  if (!deps.feed.open) throw unavailable('auth is shutting down: watch another instance', { retryAfterMs: 1_000 });
  const watcher = deps.feed.watch(answer.scope, ctx.signal);
  try {
    yield { event: { case: 'subscribed', value: { heartbeatInterval: durationFromMs(deps.heartbeatMs), tenantId: answer.scope.tenantId ?? '' } } };
    for (;;) {
      const next = await watcher.next(deps.heartbeatMs);
      if (next.kind === 'idle') {
        yield { event: { case: 'heartbeat', value: {} } };
      } else if (next.kind === 'event') {
        yield messageOf(next.event);
        if (revokesWatcher(next.event, caller)) throw unauthenticated('the credential of this watch stream is no longer valid');
      } else if (next.why === 'overflow') {
        throw resourceExhausted('the watch stream fell too far behind: subscribe again', { retryAfterMs: 1_000 });
      } else {
        return;
      }
    }
  } finally {
    watcher.close();
  }
}

async function requireWatchPermission(deps: WatchHandlerDeps, caller: Principal, ctx: HandlerContext): Promise<void> {
  // Admins and tokens carrying the permission pass here; an API key's roles are policy's to resolve.
  if (holdsPermission(caller, WATCH_PERMISSION)) return;
  await deps.permissions.require(caller, WATCH_PERMISSION, undefined, callerOptions(ctx.requestHeader, ctx.signal));
}

function messageOf(event: CredentialEvent): Message {
  switch (event.kind) {
    case 'api_key':
      return { event: { case: 'apiKeyChanged', value: { tenantId: event.tenantId, keyId: event.keyId } } };
    case 'user':
      return { event: { case: 'userLockedOut', value: { tenantId: event.tenantId, userId: event.userId, lockOutTime: timestampFromMs(epochMs(event.at)) } } };
    case 'access_token':
      return { event: { case: 'accessTokenRevoked', value: { tenantId: event.tenantId ?? '', jti: event.jti, expireTime: timestampFromMs(epochMs(event.expiresAt)) } } };
    case 'session':
      return { event: { case: 'sessionEnded', value: { tenantId: event.tenantId, sessionId: event.sessionId, expireTime: timestampFromMs(epochMs(event.expiresAt)) } } };
  }
}
