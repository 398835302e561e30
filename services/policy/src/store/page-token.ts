import { invalidArgument } from '@aegis/shared';

// Keyset pagination. The token carries the listing it belongs to and the sort key of the
// last item returned; it is opaque to callers but not secret (moving the cursor only moves
// it within what the caller may list anyway), and a token from another listing is refused.

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** 0 or absent → 100, above 1000 → 1000, negative or fractional → InvalidArgument. */
export function pageSizeOf(requested: number | undefined): number {
  if (requested === undefined || requested === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument('page_size', 'must be a whole number from 0 to 1000');
  return Math.min(requested, MAX_PAGE_SIZE);
}

export function encodePageToken(listing: string, lastKey: string): string {
  return Buffer.from(JSON.stringify({ l: listing, k: lastKey })).toString('base64url');
}

/** The cursor of `token`, undefined for the first page. */
export function decodePageToken(token: string | undefined, listing: string): string | undefined {
  if (token === undefined || token === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('page_token', 'is not a token this service issued');
  }
  const { l, k } = (typeof body === 'object' && body !== null ? body : {}) as { l?: unknown; k?: unknown };
  if (typeof l !== 'string' || typeof k !== 'string') throw invalidArgument('page_token', 'is not a token this service issued');
  if (l !== listing) throw invalidArgument('page_token', 'belongs to another listing: send the same tenant and name as for the first page');
  return k;
}
