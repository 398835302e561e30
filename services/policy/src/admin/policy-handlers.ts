import type { ServiceImpl } from '@connectrpc/connect';
import type { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import type { Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { notFound, requirePresent, requireTenantId } from '@aegis/shared';
import { authorOf } from '../authorization.js';
import { policyDraftFromProto, validatePolicy } from '../domain/index.js';
import { changeCommitted } from './change-committed.js';
import type { AdminHandlerDeps } from './handler-deps.js';
import { rejected, requireSameTenant } from './violations.js';

type PolicyHandlers = ServiceImpl<typeof PolicyService>;

function validated(tenantId: string, policy: Policy | undefined): Policy {
  const present = requirePresent(policy, 'policy');
  requireSameTenant(present.tenantId, tenantId, 'policy.tenant_id');
  const violations = validatePolicy(policyDraftFromProto(present));
  if (violations.length > 0) throw rejected(violations);
  return present;
}

export function policyHandlers(deps: AdminHandlerDeps): PolicyHandlers {
  return {
    async createPolicy(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const caller = deps.authorizer.authorize(ctx, { tenantId });
      const policy = validated(tenantId, req.policy);
      const stored = await deps.store.createPolicy(tenantId, policy, { changedBy: authorOf(caller) });
      await changeCommitted(deps, 'policy.created', tenantId, caller, stored.name, stored.lastChange);
      return { policy: stored };
    },
    async getPolicy(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      deps.authorizer.authorize(ctx, { tenantId });
      const policy = await deps.store.getPolicy(tenantId, req.name);
      if (policy === undefined) throw notFound('policy', req.name);
      return { policy };
    },
    async listPolicies(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      deps.authorizer.authorize(ctx, { tenantId });
      const page = await deps.store.listPolicies(tenantId, { pageSize: req.pageSize, pageToken: req.pageToken });
      return { policies: page.items, nextPageToken: page.nextPageToken };
    },
    async updatePolicy(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const caller = deps.authorizer.authorize(ctx, { tenantId });
      const policy = validated(tenantId, req.policy);
      const stored = await deps.store.updatePolicy(tenantId, policy, { changedBy: authorOf(caller), expectedVersion: req.expectedVersion });
      await changeCommitted(deps, 'policy.updated', tenantId, caller, stored.name, stored.lastChange);
      return { policy: stored };
    },
    async deletePolicy(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      const caller = deps.authorizer.authorize(ctx, { tenantId });
      const deleted = await deps.store.deletePolicy(tenantId, req.name, { changedBy: authorOf(caller), expectedVersion: req.expectedVersion });
      await changeCommitted(deps, 'policy.deleted', tenantId, caller, req.name, { revision: deleted.revision });
      return deleted;
    },
    async listPolicyRevisions(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      deps.authorizer.authorize(ctx, { tenantId });
      const page = await deps.store.listPolicyRevisions(tenantId, req.name, { pageSize: req.pageSize, pageToken: req.pageToken });
      return { revisions: page.items, nextPageToken: page.nextPageToken };
    },
    validatePolicy(req, ctx) {
      const tenantId = requireTenantId(req.tenantId);
      deps.authorizer.authorize(ctx, { tenantId });
      const policy = requirePresent(req.policy, 'policy');
      const violations = validatePolicy(policyDraftFromProto(policy));
      if (policy.tenantId !== '' && policy.tenantId !== tenantId) violations.unshift({ field: 'policy.tenant_id', description: 'must be empty or equal tenant_id' });
      return { valid: violations.length === 0, violations };
    },
  };
}
