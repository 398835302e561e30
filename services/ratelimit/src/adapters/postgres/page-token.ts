import { invalidArgument } from '@aegis/shared';

// Keyset pagination, as in the policy store: the token names its listing and the last key
// returned; opaque to callers but not secret, and a token from another listing is refused.

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageSizeOf(requested: number): number {
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument('page_size', 'must be a whole number from 0 to 1000');
  return Math.min(requested, MAX_PAGE_SIZE);
}

export function encodePageToken(listing: string, lastKey: string): string {
  return Buffer.from(JSON.stringify({ l: listing, k: lastKey })).toString('base64url');
}

export function decodePageToken(token: string, listing: string): string | undefined {
  if (token === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('page_token', 'is not a token this service issued');
  }
  const { l, k } = (typeof body === 'object' && body !== null ? body : {}) as { l?: unknown; k?: unknown };
  if (typeof l !== 'string' || typeof k !== 'string') throw invalidArgument('page_token', 'is not a token this service issued');
  if (l !== listing) throw invalidArgument('page_token', 'belongs to another listing: send the same tenant as for the first page');
  return k;
}
