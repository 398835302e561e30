import { aborted, failedPrecondition } from '@aegis/shared';
import type { KeyChange, RateLimitTierName } from '../ports.js';
import type { ApiKeyRecord, NewApiKey } from './api-key-record.js';

// What each lifecycle RPC does to a key, decided from the locked current record. Repeating
// an idempotent request (revoke a revoked key) changes nothing and is not an error.

export function revokeChange(current: ApiKeyRecord, now: Date): KeyChange {
  if (current.revokedAt !== null) return { kind: 'unchanged' };
  return { kind: 'patch', patch: { revokedAt: now } };
}

export function disableChange(current: ApiKeyRecord, now: Date): KeyChange {
  if (current.revokedAt !== null) throw failedPrecondition('the key is revoked: revocation is permanent');
  if (current.disabledAt !== null) return { kind: 'unchanged' };
  return { kind: 'patch', patch: { disabledAt: now } };
}

export function enableChange(current: ApiKeyRecord): KeyChange {
  if (current.revokedAt !== null) throw failedPrecondition('the key is revoked: revocation is permanent');
  if (current.disabledAt === null) return { kind: 'unchanged' };
  return { kind: 'patch', patch: { disabledAt: null } };
}

/** The replaceable fields of UpdateApiKey, already validated. */
export interface KeySettings {
  name: string;
  roles: string[];
  scopes: string[];
  tier: RateLimitTierName;
  metadata: Record<string, string>;
  expiresAt: Date | null;
}

export function updateChange(current: ApiKeyRecord, settings: KeySettings, expectedVersion: bigint): KeyChange {
  if (current.revokedAt !== null) throw failedPrecondition('the key is revoked: revocation is permanent');
  if (current.rotatedTo !== null) throw failedPrecondition(`the key was rotated: update its successor ${current.rotatedTo}`);
  if (expectedVersion !== 0n && expectedVersion !== current.version) {
    throw aborted(`the key is at version ${current.version}, not ${expectedVersion}: read it again and retry`);
  }
  if (sameSettings(current, settings)) return { kind: 'unchanged' };
  return { kind: 'patch', patch: { ...settings } };
}

function sameSettings(current: ApiKeyRecord, next: KeySettings): boolean {
  return current.name === next.name
    && sameList(current.roles, next.roles)
    && sameList(current.scopes, next.scopes)
    && current.tier === next.tier
    && JSON.stringify(Object.entries(current.metadata).sort()) === JSON.stringify(Object.entries(next.metadata).sort())
    && (current.expiresAt?.getTime() ?? null) === (next.expiresAt?.getTime() ?? null);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The secret-bearing parts of a rotation's new key, made by the caller (random, so not pure). */
export interface FreshSecret {
  id: string;
  digest: Uint8Array;
  hint: string;
}

/**
 * A new key with the old one's configuration; the old one expires at the end of the grace
 * period (now, for 0), or keeps its own earlier expiry: rotation never extends a key's life.
 */
export function rotationOf(current: ApiKeyRecord, fresh: FreshSecret, now: Date, graceMs: number): { next: NewApiKey; previousExpiresAt: Date } {
  if (current.revokedAt !== null) throw failedPrecondition('the key is revoked: revocation is permanent');
  if (current.disabledAt !== null) throw failedPrecondition('the key is disabled: enable it before rotating');
  if (current.rotatedTo !== null) throw failedPrecondition(`the key was already rotated (to ${current.rotatedTo})`);
  if (current.expiresAt !== null && current.expiresAt <= now) throw failedPrecondition('the key has expired');
  const graceEnd = new Date(now.getTime() + graceMs);
  const previousExpiresAt = current.expiresAt !== null && current.expiresAt < graceEnd ? current.expiresAt : graceEnd;
  return {
    previousExpiresAt,
    next: {
      ...fresh,
      tenantId: current.tenantId,
      userId: current.userId,
      name: current.name,
      environment: current.environment,
      roles: [...current.roles],
      scopes: [...current.scopes],
      tier: current.tier,
      metadata: { ...current.metadata },
      expiresAt: current.expiresAt,
      rotatedFrom: current.id,
    },
  };
}
