// The hot-reload signal. Every committed change sends `<tenantId>:<policyVersion>` on this
// channel from inside its transaction, so the signal exists if and only if the change does.

export const POLICY_CHANGED_CHANNEL = 'policy_changed';

export interface PolicyChange {
  tenantId: string;
  policyVersion: bigint;
}

export function encodePolicyChange(change: PolicyChange): string {
  return `${change.tenantId}:${change.policyVersion}`;
}

/** Undefined for a payload this service did not send. Split at the last ':' since tenant ids may contain one. */
export function parsePolicyChange(payload: string): PolicyChange | undefined {
  const at = payload.lastIndexOf(':');
  if (at <= 0) return undefined;
  const version = payload.slice(at + 1);
  if (!/^[0-9]{1,19}$/.test(version)) return undefined;
  return { tenantId: payload.slice(0, at), policyVersion: BigInt(version) };
}
