import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { Resource } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { invalidArgument, requireNonEmpty, requirePresent } from '@aegis/shared';

// Input checks shared by Check and CheckBatch. A malformed kind or action is not an error
// here: the engine denies it (no_match), which is the answer a caller can act on.

/** The principal decided for: present and of the request's tenant. */
export function requireDecisionPrincipal(principal: Principal | undefined, tenantId: string, field = 'principal'): Principal {
  const present = requirePresent(principal, field);
  if (present.tenantId !== tenantId) throw invalidArgument(`${field}.tenant_id`, 'must equal tenant_id');
  return present;
}

/** The action and resource of one decision; `prefix` names the item in a batch ("items[3]."). */
export function requireActionOnResource(action: string, resource: Resource | undefined, prefix = ''): Resource {
  requireNonEmpty(action, `${prefix}action`);
  const present = requirePresent(resource, `${prefix}resource`);
  requireNonEmpty(present.kind, `${prefix}resource.kind`);
  return present;
}

/** The caller, for the audit record, when it asks about someone else (a platform service). */
export function askedBy(caller: Principal, subject: Principal): { askedBy?: string } {
  return caller.id === subject.id && caller.tenantId === subject.tenantId ? {} : { askedBy: `${caller.tenantId}/${caller.id}` };
}
