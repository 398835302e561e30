import { invalidArgument } from '@aegis/shared';

// ListSessions pages by keyset: the token names the last session of the page (ids are
// UUIDv7, so "older than" is "smaller id"). It also names the query it belongs to, so a token
// from another tenant or another filter is refused instead of silently skipping rows.

interface PageToken {
  v: 1;
  tenant: string;
  user: string;
  ended: boolean;
  after: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SessionQueryKey {
  tenantId: string;
  userId: string;
  includeEnded: boolean;
}

export function encodeSessionPageToken(query: SessionQueryKey, lastSessionId: string): string {
  const token: PageToken = { v: 1, tenant: query.tenantId, user: query.userId, ended: query.includeEnded, after: lastSessionId };
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

/** The session id to continue after; InvalidArgument for a malformed or foreign token. */
export function decodeSessionPageToken(raw: string, query: SessionQueryKey): string {
  let token: Partial<PageToken>;
  try {
    token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PageToken>;
  } catch {
    throw invalidArgument('page_token', 'is not a token this service issued');
  }
  if (token === null || typeof token !== 'object' || token.v !== 1 || typeof token.after !== 'string' || !UUID.test(token.after)) {
    throw invalidArgument('page_token', 'is not a token this service issued');
  }
  if (token.tenant !== query.tenantId || token.user !== query.userId || token.ended !== query.includeEnded) {
    throw invalidArgument('page_token', 'belongs to another query: send the same tenant_id, user_id and include_ended as for the first page');
  }
  return token.after;
}
