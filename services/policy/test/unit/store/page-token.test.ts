import { isAegisError } from '@aegis/shared';
import { decodePageToken, encodePageToken, pageSizeOf } from '../../../src/store/page-token.js';

function invalidField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isAegisError(err) && err.kind === 'invalid_argument') return err.field;
    throw err;
  }
  return undefined;
}

describe('page tokens', () => {
  test('carry the last key of their listing', () => {
    const token = encodePageToken('roles/acme', 'ai_analyst');
    expect(decodePageToken(token, 'roles/acme')).toBe('ai_analyst');
    expect(decodePageToken('', 'roles/acme')).toBeUndefined();
    expect(decodePageToken(undefined, 'roles/acme')).toBeUndefined();
  });

  test('from another listing or not issued by us are InvalidArgument on page_token', () => {
    const token = encodePageToken('roles/acme', 'ai_analyst');
    expect(invalidField(() => decodePageToken(token, 'roles/globex'))).toBe('page_token');
    expect(invalidField(() => decodePageToken('%%%', 'roles/acme'))).toBe('page_token');
    expect(invalidField(() => decodePageToken(Buffer.from('{"l":"roles/acme","k":3}').toString('base64url'), 'roles/acme'))).toBe('page_token');
  });

  test('page sizes default to 100, cap at 1000 and refuse negatives', () => {
    expect(pageSizeOf(undefined)).toBe(100);
    expect(pageSizeOf(0)).toBe(100);
    expect(pageSizeOf(7)).toBe(7);
    expect(pageSizeOf(5000)).toBe(1000);
    expect(invalidField(() => pageSizeOf(-1))).toBe('page_size');
    expect(invalidField(() => pageSizeOf(2.5))).toBe('page_size');
  });
});
