export {
  decisionFromProto,
  permissionParts,
  type DecideOptions,
  type PermissionDecider,
  type PermissionDecision,
  type PermissionQuery,
} from './permission-decider.js';
export { createRemotePermissionDecider, permissionDeciderOver, type DeciderOverOptions, type RemotePermissionDeciderOptions } from './remote-permission-decider.js';
export { inProcessPermissionDecider } from './in-process-permission-decider.js';
export {
  DecisionCache,
  DEFAULT_DECISION_CACHE_ENTRIES,
  DEFAULT_DECISION_TTL_MS,
  DEFAULT_DENY_TTL_MS,
  type DecisionCacheOptions,
} from './decision-cache.js';
export { canonicalJson, decisionKey, principalDigest } from './decision-key.js';
export { createPolicyChanges, invalidateOnPolicyChange, type PolicyChange, type PolicyChanges } from './policy-changes.js';
export { callerOptions, deniedMessage, PermissionChecker, type PermissionCheckerOptions, type RequireOptions } from './permission-checker.js';
export { currentPermissionDecision, permissionDecisionKey, permissionInterceptor, type PermissionInterceptorOptions } from './permission-interceptor.js';
export { requestTenant } from './request-tenant.js';
export { DEFAULT_POLICY_URL, loadPermissionConfig, permissionEnvSchema, type PermissionConfig } from './permission-config.js';
