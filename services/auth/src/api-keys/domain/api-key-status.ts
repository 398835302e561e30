/** The facts about a stored key that decide whether it may be used now. */
export interface StoredKeyState {
  revokedAt: Date | null;
  disabledAt: Date | null;
  /** Also the end of the grace period of a key rotated away (ApiKey.expire_time). */
  expiresAt: Date | null;
  /** The owner, or the owner's tenant, is disabled. */
  ownerDisabled: boolean;
}

export type KeyRejection = 'revoked' | 'disabled' | 'expired' | 'owner_disabled';

/**
 * Revocation is permanent and reported first; then the reversible states; then expiry,
 * which is how the end of a rotation's grace period shows (EXPIRED, as the contract says).
 */
export function keyRejection(state: StoredKeyState, now: Date): KeyRejection | undefined {
  if (state.revokedAt !== null) return 'revoked';
  if (state.disabledAt !== null) return 'disabled';
  if (state.ownerDisabled) return 'owner_disabled';
  if (state.expiresAt !== null && state.expiresAt <= now) return 'expired';
  return undefined;
}
