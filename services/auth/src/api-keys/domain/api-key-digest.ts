import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The only form in which a key is stored: HMAC-SHA-256 under a server-side pepper, so a
 * stolen table cannot be checked against guessed keys without the pepper too.
 */
export function apiKeyDigest(pepper: Uint8Array, key: string): Buffer {
  return createHmac('sha256', pepper).update(key, 'utf8').digest();
}

/** Constant-time digest comparison (the lookup is by digest; this guards the final match). */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
