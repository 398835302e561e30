import type { Authorizer } from '../authorization.js';
import type { PolicyStore } from '../store/index.js';

/** What the RoleService and PolicyService handlers are given. */
export interface AdminHandlerDeps {
  store: PolicyStore;
  authorizer: Authorizer;
}
