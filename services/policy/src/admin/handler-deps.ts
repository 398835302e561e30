import type { AuditTrail } from '../audit/index.js';
import type { Authorizer } from '../authorization.js';
import type { PolicyStore, SnapshotCache } from '../store/index.js';

/** What the RoleService and PolicyService handlers are given. */
export interface AdminHandlerDeps {
  store: PolicyStore;
  /** This instance's snapshots: refreshed after a write so the writer reads its own change. */
  snapshots: Pick<SnapshotCache, 'refresh'>;
  authorizer: Authorizer;
  /** Records every committed change. */
  audit: Pick<AuditTrail, 'change'>;
}
