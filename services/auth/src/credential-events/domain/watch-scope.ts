import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { CredentialEvent } from '@aegis/shared';

// Who sees which credential events. Pure: the handler decides on these and nothing else.

/** The tenant a watcher sees (`undefined`: every tenant). */
export interface WatchScope {
  tenantId: string | undefined;
}

export type ScopeAnswer = { allowed: true; scope: WatchScope } | { allowed: false; reason: string };

/**
 * A caller of the platform tenant may watch every tenant or the one it names; anyone else
 * only its own tenant, whatever it asks for.
 */
export function watchScopeFor(caller: Pick<Principal, 'tenantId'>, requestedTenantId: string | undefined, platformTenantId: string): ScopeAnswer {
  if (caller.tenantId === platformTenantId) return { allowed: true, scope: { tenantId: requestedTenantId } };
  if (requestedTenantId !== undefined && requestedTenantId !== caller.tenantId) {
    return { allowed: false, reason: `the caller belongs to tenant "${caller.tenantId}", not "${requestedTenantId}"` };
  }
  return { allowed: true, scope: { tenantId: caller.tenantId } };
}

/** The tenant an event is about, if it says. */
export function tenantOf(event: CredentialEvent): string | undefined {
  return event.tenantId;
}

/**
 * Whether a watcher sees an event. A revoked access token whose publisher named no tenant
 * goes to everyone: its id alone reveals nothing, and a watcher missing it could keep
 * accepting the token.
 */
export function inScope(scope: WatchScope, event: CredentialEvent): boolean {
  if (scope.tenantId === undefined) return true;
  const tenantId = tenantOf(event);
  return tenantId === undefined ? event.kind === 'access_token' : tenantId === scope.tenantId;
}

/** Whether the event ends the watcher's own credential (its stream must end then). */
export function revokesWatcher(event: CredentialEvent, caller: Principal): boolean {
  switch (event.kind) {
    case 'api_key':
      return caller.apiKeyId !== '' && event.tenantId === caller.tenantId && event.keyId === caller.apiKeyId;
    case 'user':
      return event.tenantId === caller.tenantId && event.userId === caller.userId && caller.userId !== '';
    case 'session':
      return caller.sessionId !== '' && event.tenantId === caller.tenantId && event.sessionId === caller.sessionId;
    case 'access_token':
      return false;
  }
}
