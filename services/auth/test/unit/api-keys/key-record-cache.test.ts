import { KeyRecordCache } from '../../../src/api-keys/domain/key-record-cache.js';

describe('KeyRecordCache', () => {
  test('answers until the entry lifetime ends, then forgets it', () => {
    const cache = new KeyRecordCache<string>(10);
    cache.set('a', 'A', 1_000, 0);
    expect(cache.get('a', 999)).toBe('A');
    expect(cache.get('a', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('holds at most maxEntries, evicting the least recently used', () => {
    const cache = new KeyRecordCache<string>(2);
    cache.set('a', 'A', 1_000, 0);
    cache.set('b', 'B', 1_000, 0);
    expect(cache.get('a', 1)).toBe('A'); // a is now the most recently used
    cache.set('c', 'C', 1_000, 2);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 3)).toBeUndefined();
    expect(cache.get('a', 3)).toBe('A');
    expect(cache.get('c', 3)).toBe('C');
  });

  test('setting an existing key replaces it and restarts its lifetime', () => {
    const cache = new KeyRecordCache<string>(2);
    cache.set('a', 'old', 100, 0);
    cache.set('a', 'new', 100, 90);
    expect(cache.get('a', 150)).toBe('new');
    expect(cache.size).toBe(1);
  });

  test('deleteWhere drops matching entries and counts them', () => {
    const cache = new KeyRecordCache<{ user: string }>(10);
    cache.set('1', { user: 'alice' }, 1_000, 0);
    cache.set('2', { user: 'bob' }, 1_000, 0);
    cache.set('3', { user: 'alice' }, 1_000, 0);
    expect(cache.deleteWhere((v) => v.user === 'alice')).toBe(2);
    expect(cache.get('1', 1)).toBeUndefined();
    expect(cache.get('2', 1)).toEqual({ user: 'bob' });
  });

  test('refuses a non-positive bound', () => {
    expect(() => new KeyRecordCache(0)).toThrow(RangeError);
  });
});
