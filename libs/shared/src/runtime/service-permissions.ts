import type { Interceptor } from '@connectrpc/connect';
import type { Registry } from 'prom-client';
import {
  createPolicyChanges,
  createRemotePermissionDecider,
  DecisionCache,
  DEFAULT_POLICY_URL,
  invalidateOnPolicyChange,
  PermissionChecker,
  permissionInterceptor,
  type PermissionConfig,
  type PermissionDecider,
} from '../authz/index.js';
import type { ShutdownStep } from '../lifecycle/index.js';
import type { Logger } from '../logging/index.js';

export interface ServicePermissions {
  checker: PermissionChecker;
  interceptor: Interceptor;
  /** After the server drained: stop listening, close the decider if it is this service's own. */
  closeSteps: ShutdownStep[];
  /** With the other connections: the notice channel. */
  resourceSteps: ShutdownStep[];
}

export interface ServicePermissionsOptions {
  service: string;
  config: PermissionConfig;
  /** The policy service of the same process (`npm start`), if there is one. */
  inProcess?: PermissionDecider;
  redisUrl?: string;
  redisKeyPrefix: string;
  logger: Logger;
  registry: Registry;
}

/**
 * What a service with `requirePermissions` gets: a decider (AEGIS_POLICY_URL, else the policy
 * service of this process, else policy's default address), a decision cache that hears policy
 * changes, and the interceptor. A bad AEGIS_POLICY_URL already failed start-up (config).
 */
export async function servicePermissions(opts: ServicePermissionsOptions): Promise<ServicePermissions> {
  const { config, logger } = opts;
  const useInProcess = config.policyUrl === undefined && opts.inProcess !== undefined;
  const policyUrl = config.policyUrl ?? DEFAULT_POLICY_URL;
  const decider = useInProcess ? opts.inProcess! : createRemotePermissionDecider({ policyUrl, timeoutMs: config.checkTimeoutMs });
  const cache = new DecisionCache({ ttlMs: config.cacheTtlMs, denyTtlMs: config.denyCacheTtlMs, maxEntries: config.cacheMaxEntries });
  const changes = createPolicyChanges({ name: opts.service, logger, keyPrefix: opts.redisKeyPrefix, ...(opts.redisUrl !== undefined ? { redisUrl: opts.redisUrl } : {}) });
  let unsubscribe: () => Promise<void>;
  try {
    unsubscribe = await invalidateOnPolicyChange(cache, changes);
  } catch (err) {
    await changes.close().catch(() => undefined);
    if (!useInProcess) await decider.close().catch(() => undefined);
    throw err;
  }
  // The in-process decider belongs to the policy service; only a remote one is ours to close.
  const checker = new PermissionChecker({ decider: useInProcess ? { check: (q, o) => decider.check(q, o), close: async () => {} } : decider, cache, registry: opts.registry });
  logger.info(useInProcess ? {} : { policyUrl }, useInProcess ? 'permissions: decided by the policy service of this process' : 'permissions: decided by the policy service');
  return {
    checker,
    interceptor: permissionInterceptor({ checker, platformTenantId: config.platformTenantId }),
    closeSteps: [
      { name: `${opts.service} policy-change notices`, run: () => unsubscribe() },
      { name: `${opts.service} permission decider`, run: () => checker.close() },
    ],
    resourceSteps: [{ name: `${opts.service} policy-change channel`, run: () => changes.close() }],
  };
}
