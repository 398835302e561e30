export { registerDecisionService } from './module.js';
export type { DecisionHandlerDeps } from './handlers/handler-deps.js';
export { TenantPolicySets } from './tenant-policy-sets.js';
