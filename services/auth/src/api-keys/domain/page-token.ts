import { createHash } from 'node:crypto';
import { invalidArgument } from '@aegis/shared';

// ListApiKeys pages newest first by key id (UUIDv7: id order is creation order). The token
// carries the last id of the page and a fingerprint of the listing's filters, so a token is
// opaque to clients and one listing's token cannot be replayed against another (a different
// owner or include_revoked), which the contract makes InvalidArgument.

export interface ListingFilter {
  tenantId: string;
  userId?: string;
  includeRevoked: boolean;
}

const VERSION = 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

interface TokenBody {
  v: number;
  after: string;
  filter: string;
}

function fingerprint(filter: ListingFilter): string {
  return createHash('sha256').update(JSON.stringify([filter.tenantId, filter.userId ?? '', filter.includeRevoked])).digest('base64url').slice(0, 16);
}

export function encodePageToken(filter: ListingFilter, lastKeyId: string): string {
  const body: TokenBody = { v: VERSION, after: lastKeyId, filter: fingerprint(filter) };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The id to continue after; InvalidArgument for anything that is not a token of this listing. */
export function decodePageToken(token: string, filter: ListingFilter, field = 'page_token'): string {
  let body: Partial<TokenBody>;
  try {
    if (token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
  } catch {
    throw invalidArgument(field, 'is not a page token returned by ListApiKeys');
  }
  if (body.v !== VERSION || typeof body.after !== 'string' || !UUID.test(body.after)) {
    throw invalidArgument(field, 'is not a page token returned by ListApiKeys');
  }
  if (body.filter !== fingerprint(filter)) throw invalidArgument(field, 'belongs to a listing with other filters (tenant, user or include_revoked)');
  return body.after;
}

/** 0 → the default; above the maximum → the maximum; negative → InvalidArgument (docs/contracts.md). */
export function pageSizeOf(requested: number, field = 'page_size'): number {
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument(field, 'must not be negative');
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}
