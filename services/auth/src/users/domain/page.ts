import { invalidArgument } from '@aegis/shared';

// Keyset pagination: the token carries the sort key of the last row returned and the query
// it belongs to. It is opaque to callers but not secret; tampering only moves a cursor
// inside what the caller may list anyway, and a token from another query is refused.

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** 0 → 100, above 1000 → 1000, negative → InvalidArgument (docs/contracts.md). */
export function pageSize(requested: number, field = 'page_size'): number {
  if (requested < 0) throw invalidArgument(field, 'must not be negative');
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

interface PageTokenBody {
  /** Which query: list name, tenant and filters. */
  q: string;
  /** Sort key of the last row of the previous page. */
  k: string[];
}

export function encodePageToken(query: string, lastKey: string[]): string {
  return Buffer.from(JSON.stringify({ q: query, k: lastKey } satisfies PageTokenBody)).toString('base64url');
}

/** The cursor of `token`, undefined for the first page; InvalidArgument when malformed or from another query. */
export function decodePageToken(token: string, query: string, keyLength: number, field = 'page_token'): string[] | undefined {
  if (token === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument(field, 'is not a token this service issued');
  }
  if (!isBody(body) || body.k.length !== keyLength) throw invalidArgument(field, 'is not a token this service issued');
  if (body.q !== query) throw invalidArgument(field, 'belongs to another query: send the same tenant and filters as for the first page');
  return body.k;
}

function isBody(value: unknown): value is PageTokenBody {
  if (typeof value !== 'object' || value === null) return false;
  const { q, k } = value as Partial<PageTokenBody>;
  return typeof q === 'string' && Array.isArray(k) && k.every((part) => typeof part === 'string');
}
