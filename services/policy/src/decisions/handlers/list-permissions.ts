import type { HandlerContext } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ListPermissionsRequest, ListPermissionsResponseSchema } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { invalidArgument, notFound, requireTenantId } from '@aegis/shared';
import { limitsToProto, listPrincipalPermissions, listRolePermissions, type PermissionListing } from '../../domain/index.js';
import { requireDecisionPrincipal } from '../decision-input.js';
import type { DecisionHandlerDeps } from './handler-deps.js';

export function listPermissions(deps: DecisionHandlerDeps, req: ListPermissionsRequest, ctx: HandlerContext): MessageInitShape<typeof ListPermissionsResponseSchema> {
  const tenantId = requireTenantId(req.tenantId);
  const subject = req.subject;
  if (subject.case === undefined) throw invalidArgument('subject', 'set role or principal');
  const principal = subject.case === 'principal' ? requireDecisionPrincipal(subject.value, tenantId) : undefined;
  deps.authorizer.authorize(ctx, { tenantId });
  const set = deps.policySets.get(tenantId);
  let listing: PermissionListing | undefined;
  if (principal !== undefined) {
    listing = listPrincipalPermissions(set, principal.roles, principal.scopes);
  } else {
    listing = listRolePermissions(set, subject.value as string);
    if (listing === undefined) throw notFound('role', subject.value as string);
  }
  return {
    roles: listing.roles,
    permissions: listing.permissions,
    allowedModels: listing.allowedModels,
    resourceLimits: limitsToProto(listing.resourceLimits),
  };
}
