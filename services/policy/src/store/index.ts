export { encodePolicyChange, parsePolicyChange, POLICY_CHANGED_CHANNEL, type PolicyChange } from './change-notification.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './page-token.js';
export type { CreateOptions, Page, PageRequest, PolicySnapshot, PolicyStore, WriteOptions } from './ports.js';
export { PostgresPolicyStore } from './postgres-policy-store.js';
export { SnapshotCache, type SnapshotCacheOptions, type SnapshotListener } from './snapshot-cache.js';
export { bumpPolicyVersion } from './versioned-documents.js';
