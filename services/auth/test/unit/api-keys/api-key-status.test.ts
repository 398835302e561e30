import { keyRejection, type StoredKeyState } from '../../../src/api-keys/domain/api-key-status.js';

const now = new Date('2025-06-01T12:00:00.000Z');
const ms = (offset: number): Date => new Date(now.getTime() + offset);
const usable: StoredKeyState = { revokedAt: null, disabledAt: null, expiresAt: null, ownerDisabled: false };

describe('keyRejection', () => {
  test('a key with no state set is usable', () => {
    expect(keyRejection(usable, now)).toBeUndefined();
  });

  test('revocation is reported before every other state', () => {
    const everything: StoredKeyState = { revokedAt: ms(-1), disabledAt: ms(-1), expiresAt: ms(-1), ownerDisabled: true };
    expect(keyRejection(everything, now)).toBe('revoked');
  });

  test('a revocation is permanent whatever its recorded time (rotation grace is expiry, not revocation)', () => {
    expect(keyRejection({ ...usable, revokedAt: now }, now)).toBe('revoked');
    expect(keyRejection({ ...usable, revokedAt: ms(60_000) }, now)).toBe('revoked');
  });

  test('a rotated key in its grace period is usable until its expiry, then EXPIRED', () => {
    expect(keyRejection({ ...usable, expiresAt: ms(60_000) }, now)).toBeUndefined();
    expect(keyRejection({ ...usable, expiresAt: ms(60_000) }, ms(60_000))).toBe('expired');
  });

  test('disabled comes before owner disabled and expired', () => {
    expect(keyRejection({ ...usable, disabledAt: ms(-1), ownerDisabled: true, expiresAt: ms(-1) }, now)).toBe('disabled');
  });

  test('a disabled key is rejected whatever the disable time (it is a flag, not a schedule)', () => {
    expect(keyRejection({ ...usable, disabledAt: ms(60_000) }, now)).toBe('disabled');
  });

  test('owner disabled comes before expired', () => {
    expect(keyRejection({ ...usable, ownerDisabled: true, expiresAt: ms(-1) }, now)).toBe('owner_disabled');
    expect(keyRejection({ ...usable, ownerDisabled: true }, now)).toBe('owner_disabled');
  });

  test('a key expires exactly at its expiry time, not a millisecond before', () => {
    expect(keyRejection({ ...usable, expiresAt: ms(1) }, now)).toBeUndefined();
    expect(keyRejection({ ...usable, expiresAt: now }, now)).toBe('expired');
    expect(keyRejection({ ...usable, expiresAt: ms(-1) }, now)).toBe('expired');
  });
});
