import { DatabaseUsageError, isSqlIdentifier, quoteIdentifier, sqlIdentifier } from '../../../src/db/index.js';

describe('SQL identifiers', () => {
  it.each(['auth', 'policy_v2', '_private', 'a'.repeat(63), 'user'])('accepts %s', (name) => {
    expect(isSqlIdentifier(name)).toBe(true);
    expect(quoteIdentifier('schema', name)).toBe(`"${name}"`);
  });

  it.each(['', 'Auth', '2fa', 'a-b', 'a b', 'a'.repeat(64), 'pg_catalog', 'x"; DROP SCHEMA auth; --', 'ünicode'])('rejects %j', (name) => {
    expect(isSqlIdentifier(name)).toBe(false);
    expect(() => sqlIdentifier('schema', name)).toThrow(DatabaseUsageError);
  });

  it('names what was wrong without echoing unbounded input', () => {
    const huge = 'x'.repeat(10_000);
    let message = '';
    try {
      sqlIdentifier('channel', `${huge}-`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^channel "x{70}…" is not allowed/);
    expect(message.length).toBeLessThan(250);
  });
});
