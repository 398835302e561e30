import { AegisError } from '@aegis/shared';
import { decodeSessionPageToken, encodeSessionPageToken } from '../../../src/sso/domain/session-page-token.js';

const query = { tenantId: 'acme', userId: '', includeEnded: false };
const id = '0190e7a4-5b1c-7d2e-9f10-3a4b5c6d7e8f';

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AegisError ? `${err.kind}:${err.field}` : 'other';
  }
  return undefined;
}

describe('session page tokens', () => {
  test('round-trip', () => {
    expect(decodeSessionPageToken(encodeSessionPageToken(query, id), query)).toBe(id);
  });

  test('a token of another tenant, user filter or include_ended is refused', () => {
    const token = encodeSessionPageToken(query, id);
    expect(kindOf(() => decodeSessionPageToken(token, { ...query, tenantId: 'globex' }))).toBe('invalid_argument:page_token');
    expect(kindOf(() => decodeSessionPageToken(token, { ...query, userId: 'u1' }))).toBe('invalid_argument:page_token');
    expect(kindOf(() => decodeSessionPageToken(token, { ...query, includeEnded: true }))).toBe('invalid_argument:page_token');
  });

  test('garbage is refused', () => {
    for (const bad of ['!!', 'e30', Buffer.from(JSON.stringify({ v: 1, tenant: 'acme', user: '', ended: false, after: "1' OR 1=1" })).toString('base64url')]) {
      expect(kindOf(() => decodeSessionPageToken(bad, query))).toBe('invalid_argument:page_token');
    }
  });
});
