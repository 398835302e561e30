import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { actorOf, type ChangeAction } from '../audit/index.js';
import type { AdminHandlerDeps } from './handler-deps.js';

/**
 * After the store committed a change of a role or policy: this instance serves it before the
 * caller hears back (read-your-writes; other instances follow by notification), and the
 * change is recorded in the audit trail.
 */
export async function changeCommitted(
  deps: AdminHandlerDeps,
  action: ChangeAction,
  tenantId: string,
  caller: Principal,
  name: string,
  change: { version?: bigint; revision: bigint } | undefined,
): Promise<void> {
  // The change is committed whatever happens here: a failed reload must not turn into an error
  // the caller would retry (and get AlreadyExists); notifications and the periodic recheck follow.
  await deps.snapshots.refresh(tenantId).catch(() => undefined);
  await deps.audit.change({
    action,
    tenantId,
    actor: actorOf(caller),
    name,
    policyRevision: change?.revision ?? 0n,
    ...(change?.version !== undefined ? { version: change.version } : {}),
  });
}
