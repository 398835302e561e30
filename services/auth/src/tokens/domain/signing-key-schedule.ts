import type { SigningAlgorithm } from './signing-algorithms.js';

// Signing-key rotation, decided from stored times alone so that every instance reaches the
// same answer without talking to the others: the active key is the one whose activation
// time came last, among those that have come. A scheduled successor is stored (and
// published) `prepublishMs` before it activates, so verifiers' cached key sets hold it before
// the first token it signs; every instance switches to it at that instant by the clock.

export interface SigningKeyTimes {
  kid: string;
  algorithm: SigningAlgorithm;
  createTime: Date;
  /** When it starts (started) signing. */
  activateTime: Date;
  /** When it stops being published; null while it is the newest key. */
  retireTime: Date | null;
}

export type SigningKeyState = 'pending' | 'active' | 'verify_only' | 'retired';

export interface RotationPolicy {
  intervalMs: number;
  prepublishMs: number;
  retentionMs: number;
}

const retired = (key: SigningKeyTimes, now: Date): boolean => key.retireTime !== null && key.retireTime <= now;

/** The key that signs at `now`: latest activation not in the future (ties: the greater kid, so all instances agree). */
export function activeKey<K extends SigningKeyTimes>(keys: readonly K[], now: Date): K | undefined {
  let best: K | undefined;
  for (const key of keys) {
    if (key.activateTime > now || retired(key, now)) continue;
    if (best === undefined || key.activateTime > best.activateTime || (key.activateTime.getTime() === best.activateTime.getTime() && key.kid > best.kid)) best = key;
  }
  return best;
}

/** Keys in the JWKS at `now`: everything not yet retired, the pending successor included. */
export function publishedKeys<K extends SigningKeyTimes>(keys: readonly K[], now: Date): K[] {
  return keys.filter((key) => !retired(key, now)).sort((a, b) => b.activateTime.getTime() - a.activateTime.getTime() || (a.kid < b.kid ? 1 : -1));
}

export function keyState(key: SigningKeyTimes, keys: readonly SigningKeyTimes[], now: Date): SigningKeyState {
  if (retired(key, now)) return 'retired';
  if (key.activateTime > now) return 'pending';
  return activeKey(keys, now)?.kid === key.kid ? 'active' : 'verify_only';
}

/** What to store: a new key activating at `activateAt`, every older unretired key retiring at `retireOthersAt`; pending keys listed in `discard` are deleted (they never signed). */
export interface RotationStep {
  activateAt: Date;
  retireOthersAt: Date;
  discard: string[];
}

/**
 * The schedule's next step at `now`, or undefined when nothing is due. With no usable key at
 * all (first start, or every key retired) a key is created to activate at once.
 */
export function scheduledRotation(keys: readonly SigningKeyTimes[], now: Date, policy: RotationPolicy): RotationStep | undefined {
  const active = activeKey(keys, now);
  const pending = keys.some((key) => key.activateTime > now && !retired(key, now));
  if (active === undefined) {
    // A pending key will take over; until then nothing can sign, so start one now anyway.
    return { activateAt: now, retireOthersAt: new Date(now.getTime() + policy.retentionMs), discard: pendingKids(keys, now) };
  }
  if (pending) return undefined;
  const due = active.activateTime.getTime() + policy.intervalMs;
  if (now.getTime() < due - policy.prepublishMs) return undefined;
  // Late (every instance was down when it fell due): still give verifiers the full prepublish time.
  const activateAt = new Date(Math.max(due, now.getTime() + policy.prepublishMs));
  return { activateAt, retireOthersAt: new Date(activateAt.getTime() + policy.retentionMs), discard: [] };
}

/**
 * RotateSigningKey: a new key signs from `now` (an operator rotating after a suspected
 * compromise must not wait for caches), the current one retires after the retention.
 */
export function immediateRotation(keys: readonly SigningKeyTimes[], now: Date, policy: RotationPolicy): RotationStep {
  return { activateAt: now, retireOthersAt: new Date(now.getTime() + policy.retentionMs), discard: pendingKids(keys, now) };
}

/** Keys past their retire time: unpublished, their private keys can go. */
export function retiredKids(keys: readonly SigningKeyTimes[], now: Date): string[] {
  return keys.filter((key) => retired(key, now)).map((key) => key.kid);
}

function pendingKids(keys: readonly SigningKeyTimes[], now: Date): string[] {
  return keys.filter((key) => key.activateTime > now && !retired(key, now)).map((key) => key.kid);
}
