import { AegisError, invalidArgument } from '@aegis/shared';
import type { FieldViolation } from '../domain/index.js';

/**
 * InvalidArgument for a rejected role or policy. The message lists every violation, each
 * starting with its field path (e.g. "policy.condition.user.clearance_level.$lt"), and so does
 * the BadRequest detail, so an author can fix them all in one go.
 */
export function rejected(violations: readonly FieldViolation[]): AegisError {
  const [first] = violations;
  if (first === undefined) throw new Error('rejected() needs at least one violation');
  if (violations.length === 1) return invalidArgument(first.field, first.description);
  const message = violations.map((v) => `${v.field}: ${v.description}`).join('; ');
  return new AegisError('invalid_argument', message, { field: first.field, violations });
}

/** A message's own tenant id must be empty or the request's (`role.tenant_id`). */
export function requireSameTenant(messageTenantId: string, tenantId: string, field: string): void {
  if (messageTenantId !== '' && messageTenantId !== tenantId) throw invalidArgument(field, 'must be empty or equal tenant_id');
}
