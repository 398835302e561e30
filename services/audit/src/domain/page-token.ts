import { createHash } from 'node:crypto';
import { invalidArgument } from '@aegis/shared';
import type { AuditQuery, PageCursor } from './audit-query.js';

// QueryAuditEvents pages by keyset (Event.time, stored position), so a page never repeats
// or skips a record while new ones arrive. The token carries where the page ended and a
// fingerprint of the question; opaque to clients, and a token of one question replayed
// against another is InvalidArgument rather than a silently wrong page.

const VERSION = 1;

interface TokenBody {
  v: number;
  t: string;
  p: string;
  f: string;
}

function fingerprint(query: AuditQuery, ascending: boolean): string {
  const parts = [query.tenantId, query.startUs?.toString() ?? '', query.endUs?.toString() ?? '', query.userId ?? '', query.actorId ?? '',
    [...query.actions].sort(), query.outcome ?? 0, query.source ?? '', query.minClassification ?? 0, ascending];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodePageToken(query: AuditQuery, ascending: boolean, cursor: PageCursor): string {
  const body: TokenBody = { v: VERSION, t: cursor.timeUs.toString(), p: cursor.position.toString(), f: fingerprint(query, ascending) };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export function decodePageToken(token: string, query: AuditQuery, ascending: boolean, field = 'page_token'): PageCursor {
  const foreign = () => invalidArgument(field, 'is not a page token returned by QueryAuditEvents');
  let body: Partial<TokenBody>;
  try {
    if (token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) throw foreign();
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
  } catch {
    throw foreign();
  }
  if (body.v !== VERSION || typeof body.t !== 'string' || typeof body.p !== 'string' || !/^-?\d{1,19}$/.test(body.t) || !/^\d{1,19}$/.test(body.p)) throw foreign();
  if (body.f !== fingerprint(query, ascending)) {
    throw invalidArgument(field, 'belongs to a query with another tenant, interval, filter or order; send the same request with it');
  }
  return { timeUs: BigInt(body.t), position: BigInt(body.p) };
}
