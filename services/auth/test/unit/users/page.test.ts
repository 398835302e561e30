import { AegisError } from '@aegis/shared';
import { decodePageToken, encodePageToken, pageSize } from '../../../src/users/domain/page.js';

function invalid(fn: () => unknown): AegisError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AegisError && err.kind === 'invalid_argument') return err;
    throw err;
  }
  throw new Error('expected InvalidArgument');
}

describe('pagination', () => {
  test('page_size: 0 is 100, above 1000 is 1000, negative is refused', () => {
    expect(pageSize(0)).toBe(100);
    expect(pageSize(7)).toBe(7);
    expect(pageSize(5_000)).toBe(1000);
    expect(invalid(() => pageSize(-1)).field).toBe('page_size');
  });

  test('a token round-trips for the same query', () => {
    const token = encodePageToken('q1', ['bob@acme.test', '0190-id']);
    expect(decodePageToken(token, 'q1', 2)).toEqual(['bob@acme.test', '0190-id']);
    expect(decodePageToken('', 'q1', 2)).toBeUndefined();
  });

  test('a token of another query, or garbage, is InvalidArgument', () => {
    const token = encodePageToken('q1', ['a', 'b']);
    expect(invalid(() => decodePageToken(token, 'q2', 2)).message).toContain('another query');
    expect(invalid(() => decodePageToken(token, 'q1', 1)).field).toBe('page_token');
    for (const bad of ['%%%', 'bm90IGpzb24', Buffer.from('{"q":"q1","k":[1,2]}').toString('base64url')]) invalid(() => decodePageToken(bad, 'q1', 2));
  });
});
