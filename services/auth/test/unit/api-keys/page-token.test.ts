import { decodePageToken, encodePageToken, pageSizeOf } from '../../../src/api-keys/domain/page-token.js';

const filter = { tenantId: 'acme', userId: 'alice', includeRevoked: false };
const lastId = '0190a5c4-0000-7000-8000-000000000042';

describe('page tokens', () => {
  test('round-trip the last id of the page', () => {
    expect(decodePageToken(encodePageToken(filter, lastId), filter)).toBe(lastId);
  });

  test('are opaque: no id or filter in clear text', () => {
    const token = encodePageToken(filter, lastId);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('0190a5c4');
    expect(token).not.toContain('alice');
  });

  test.each([
    ['another tenant', { ...filter, tenantId: 'globex' }],
    ['another owner', { ...filter, userId: 'bob' }],
    ['no owner filter', { tenantId: 'acme', includeRevoked: false }],
    ['include_revoked changed', { ...filter, includeRevoked: true }],
  ])('a token of a listing with %s is InvalidArgument', (_name, other) => {
    expect(() => decodePageToken(encodePageToken(filter, lastId), other)).toThrow(expect.objectContaining({ kind: 'invalid_argument', field: 'page_token' }));
  });

  test.each(['garbage!', 'e30', Buffer.from('{"v":1,"after":"x","filter":"y"}').toString('base64url'), 'A'.repeat(600)])('a malformed token is InvalidArgument: %s', (token) => {
    expect(() => decodePageToken(token, filter)).toThrow(expect.objectContaining({ kind: 'invalid_argument', field: 'page_token' }));
  });
});

describe('page size', () => {
  test('0 is the default, above the maximum is the maximum, negative is refused', () => {
    expect(pageSizeOf(0)).toBe(100);
    expect(pageSizeOf(7)).toBe(7);
    expect(pageSizeOf(5_000)).toBe(1_000);
    expect(() => pageSizeOf(-1)).toThrow(expect.objectContaining({ kind: 'invalid_argument', field: 'page_size' }));
  });
});
