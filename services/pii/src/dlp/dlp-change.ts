// The hot-reload signal, sent from inside each change's transaction (so it exists if and only
// if the change does): `<tenantId>:<revision>` on `pii_dlp_changed`.

export const DLP_CHANGED_CHANNEL = 'pii_dlp_changed';

export interface DlpChange {
  tenantId: string;
  revision: bigint;
}

export function encodeDlpChange(change: DlpChange): string {
  return `${change.tenantId}:${change.revision}`;
}

/** Undefined for a payload this service did not send. Split at the last ':' since tenant ids may contain one. */
export function parseDlpChange(payload: string): DlpChange | undefined {
  const at = payload.lastIndexOf(':');
  if (at <= 0) return undefined;
  const revision = payload.slice(at + 1);
  if (!/^[0-9]{1,19}$/.test(revision)) return undefined;
  return { tenantId: payload.slice(0, at), revision: BigInt(revision) };
}
