import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { PrincipalSchema, PrincipalType, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { PermissionDecision } from '../../../src/authz/index.js';

export function principal(init: Omit<MessageInitShape<typeof PrincipalSchema>, '$typeName'> = {}): Principal {
  return create(PrincipalSchema, { tenantId: 'acme', type: PrincipalType.USER, id: 'alice', userId: 'alice', roles: ['viewer'], ...init });
}

export function decision(allowed: boolean, init: Partial<PermissionDecision> = {}): PermissionDecision {
  return {
    allowed,
    permission: 'agent:read',
    reason: allowed ? 'role_permission' : 'no_match',
    explanation: allowed ? 'allowed: role viewer grants agent:read' : 'denied: no role grants agent:read and no policy allows it',
    policyVersion: 1n,
    matchedRole: allowed ? 'viewer' : '',
    matchedPolicies: [],
    obligations: undefined,
    ...init,
  };
}
