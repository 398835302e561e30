import { disableChange, enableChange, revokeChange, rotationOf, updateChange, type KeySettings } from '../../../src/api-keys/domain/key-lifecycle.js';
import { isRetired, keyStatus } from '../../../src/api-keys/domain/api-key-record.js';
import { keyRecord } from './fixtures.js';

const now = new Date('2025-06-01T12:00:00.000Z');
const later = (ms: number) => new Date(now.getTime() + ms);
const fresh = { id: '0190a5c4-0000-7000-8000-00000000ffff', digest: new Uint8Array(32), hint: 'genxai_live_…ZZZZ' };

describe('rotation', () => {
  test('the new key copies the configuration and points back; the old one expires at the end of the grace period', () => {
    const current = keyRecord({ expiresAt: null });
    const { next, previousExpiresAt } = rotationOf(current, fresh, now, 3_600_000);
    expect(previousExpiresAt).toEqual(later(3_600_000));
    expect(next).toMatchObject({
      id: fresh.id, digest: fresh.digest, hint: fresh.hint,
      tenantId: current.tenantId, userId: current.userId, name: current.name, environment: current.environment,
      roles: current.roles, scopes: current.scopes, tier: current.tier, metadata: current.metadata,
      expiresAt: null, rotatedFrom: current.id,
    });
  });

  test('grace 0 makes the old key expire now: it is refused from this instant', () => {
    expect(rotationOf(keyRecord(), fresh, now, 0).previousExpiresAt).toEqual(now);
  });

  test('rotation never extends the old key: an earlier expiry is kept', () => {
    const current = keyRecord({ expiresAt: later(60_000) });
    const { next, previousExpiresAt } = rotationOf(current, fresh, now, 3_600_000);
    expect(previousExpiresAt).toEqual(later(60_000));
    expect(next.expiresAt).toEqual(later(60_000));
  });

  test.each([
    ['revoked', { revokedAt: now }, /revoked/],
    ['disabled', { disabledAt: now }, /disabled/],
    ['already rotated', { rotatedTo: '0190a5c4-0000-7000-8000-000000000001' }, /already rotated/],
    ['expired', { expiresAt: now }, /expired/],
  ] as const)('a %s key cannot be rotated (FailedPrecondition)', (_name, state, message) => {
    expect(() => rotationOf(keyRecord(state), fresh, now, 0)).toThrow(expect.objectContaining({ kind: 'failed_precondition', message: expect.stringMatching(message) }));
  });
});

describe('revoke, disable, enable', () => {
  test('revoking records the time; revoking again changes nothing', () => {
    expect(revokeChange(keyRecord(), now)).toEqual({ kind: 'patch', patch: { revokedAt: now } });
    expect(revokeChange(keyRecord({ revokedAt: now }), later(1))).toEqual({ kind: 'unchanged' });
  });

  test('disable and enable are idempotent', () => {
    expect(disableChange(keyRecord(), now)).toEqual({ kind: 'patch', patch: { disabledAt: now } });
    expect(disableChange(keyRecord({ disabledAt: now }), later(1))).toEqual({ kind: 'unchanged' });
    expect(enableChange(keyRecord({ disabledAt: now }))).toEqual({ kind: 'patch', patch: { disabledAt: null } });
    expect(enableChange(keyRecord())).toEqual({ kind: 'unchanged' });
  });

  test('a revoked key can be neither disabled nor enabled', () => {
    const revoked = keyRecord({ revokedAt: now });
    expect(() => disableChange(revoked, now)).toThrow(expect.objectContaining({ kind: 'failed_precondition' }));
    expect(() => enableChange(revoked)).toThrow(expect.objectContaining({ kind: 'failed_precondition' }));
  });
});

describe('update', () => {
  const current = keyRecord();
  const settings: KeySettings = { name: current.name, roles: current.roles, scopes: current.scopes, tier: current.tier, metadata: current.metadata, expiresAt: null };

  test('replaces every field', () => {
    const next = { ...settings, name: 'deploy', tier: 'enterprise' as const, expiresAt: later(1_000) };
    expect(updateChange(current, next, 0n)).toEqual({ kind: 'patch', patch: next });
  });

  test('the same settings are no change (no version bump)', () => {
    expect(updateChange(current, { ...settings, metadata: { ...settings.metadata } }, 0n)).toEqual({ kind: 'unchanged' });
  });

  test('expected_version must match when given', () => {
    expect(updateChange(current, { ...settings, name: 'x' }, current.version).kind).toBe('patch');
    expect(() => updateChange(current, { ...settings, name: 'x' }, current.version - 1n)).toThrow(expect.objectContaining({ kind: 'aborted' }));
  });

  test('revoked keys and keys rotated away are not updated', () => {
    expect(() => updateChange(keyRecord({ revokedAt: now }), settings, 0n)).toThrow(expect.objectContaining({ kind: 'failed_precondition' }));
    expect(() => updateChange(keyRecord({ rotatedTo: fresh.id }), settings, 0n)).toThrow(expect.objectContaining({ kind: 'failed_precondition' }));
  });
});

describe('status and listing', () => {
  test('status: revoked before disabled; expiry is not a status', () => {
    expect(keyStatus(keyRecord())).toBe('active');
    expect(keyStatus(keyRecord({ expiresAt: new Date(0) }))).toBe('active');
    expect(keyStatus(keyRecord({ disabledAt: now }))).toBe('disabled');
    expect(keyStatus(keyRecord({ disabledAt: now, revokedAt: now }))).toBe('revoked');
  });

  test('a key rotated away is retired once its grace period is over, not before', () => {
    const rotated = keyRecord({ rotatedTo: fresh.id, expiresAt: later(1_000) });
    expect(isRetired(rotated, now)).toBe(false);
    expect(isRetired(rotated, later(1_000))).toBe(true);
    expect(isRetired(keyRecord({ expiresAt: now }), later(1))).toBe(false); // merely expired: still listed
    expect(isRetired(keyRecord({ revokedAt: now }), now)).toBe(true);
  });
});
