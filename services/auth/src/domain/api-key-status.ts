/** The facts about a stored key that decide whether it may be used now. */
export interface StoredKeyState {
  revokedAt: Date | null;
  disabledAt: Date | null;
  expiresAt: Date | null;
  ownerDisabled: boolean;
}

export type KeyRejection = 'revoked' | 'disabled' | 'expired' | 'owner_disabled';

/** Revocation is permanent and reported first; then the reversible states; then expiry. */
export function keyRejection(state: StoredKeyState, now: Date): KeyRejection | undefined {
  if (state.revokedAt !== null && state.revokedAt <= now) return 'revoked';
  if (state.disabledAt !== null) return 'disabled';
  if (state.ownerDisabled) return 'owner_disabled';
  if (state.expiresAt !== null && state.expiresAt <= now) return 'expired';
  return undefined;
}
