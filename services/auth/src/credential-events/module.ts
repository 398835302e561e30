import { CredentialEventService } from '@aegis/proto/aegis/auth/v1/credential_event_service_pb.js';
import {
  createRemotePermissionDecider,
  DEFAULT_POLICY_URL,
  groupDecisionPoint,
  loadPermissionConfig,
  PermissionChecker,
  type PermissionDecider,
  type ServiceContext,
} from '@aegis/shared';
import type { AuthDeps, AuthModule } from '../module-ports.js';
import { loadCredentialWatchConfig } from './config.js';
import { CredentialEventFeed } from './credential-event-feed.js';
import { watchCredentialEvents, type WatchHandlerDeps } from './handlers/watch-credential-events.js';

/** WatchCredentialEvents: the platform's credential events for caches outside it (the SDK's). */
export async function createCredentialEventsModule(deps: AuthDeps): Promise<AuthModule> {
  const { ctx } = deps;
  const config = loadCredentialWatchConfig(ctx.env);
  const feed = new CredentialEventFeed({ events: ctx.credentialEvents, health: ctx.health, logger: ctx.logger, bufferSize: config.AEGIS_AUTH_CREDENTIAL_WATCH_BUFFER });
  await feed.start();
  const decider = policyDecider(ctx);
  const handlerDeps: WatchHandlerDeps = {
    feed,
    permissions: new PermissionChecker({ decider }),
    platformTenantId: deps.config.AEGIS_AUTH_BOOTSTRAP_TENANT,
    heartbeatMs: config.AEGIS_AUTH_CREDENTIAL_WATCH_HEARTBEAT_MS,
  };
  return {
    register(router) {
      router.service(CredentialEventService, {
        watchCredentialEvents: (req, handlerCtx) => watchCredentialEvents(handlerDeps, req, handlerCtx),
      });
    },
    async close() {
      await feed.close();
      await decider.close();
    },
  };
}

/**
 * Auth authorises its RPCs itself, but roles and their permissions are policy's: an API key
 * holding `credential:watch` through a role is known only there. Like the services that
 * require permissions, it asks AEGIS_POLICY_URL, else the policy service started in the same
 * process (which starts after auth, hence looked up per call), else policy's default address.
 */
function policyDecider(ctx: ServiceContext): PermissionDecider {
  const config = loadPermissionConfig(ctx.env);
  let remote: PermissionDecider | undefined;
  const current = (): PermissionDecider => {
    const inProcess = config.policyUrl === undefined ? groupDecisionPoint(ctx.events) : undefined;
    return inProcess ?? (remote ??= createRemotePermissionDecider({ policyUrl: config.policyUrl ?? DEFAULT_POLICY_URL, timeoutMs: config.checkTimeoutMs }));
  };
  return {
    check: (query, options) => current().check(query, options),
    close: async () => remote?.close(),
  };
}
