export { registerDecisionService } from './module.js';
export type { DecisionHandlerDeps } from './handlers/handler-deps.js';
export { TenantPolicySets } from './tenant-policy-sets.js';
export { PolicyRevisionFeed, type PolicyRevision, type RevisionSubscription } from './policy-revision-feed.js';
export type { WatchHandlerDeps } from './handlers/watch-policy-changes.js';
