import { createDatabase, DatabaseUsageError } from '../../../src/db/index.js';

// Configuration mistakes must stop start-up with a clear message, before any connection is made.
describe('createDatabase configuration checks', () => {
  it('refuses an empty url instead of silently falling back to the embedded engine', async () => {
    await expect(createDatabase({ url: '', schema: 'auth' })).rejects.toThrow(/database url is empty/);
    await expect(createDatabase({ url: '  ', schema: 'auth' })).rejects.toBeInstanceOf(DatabaseUsageError);
  });

  it('refuses both a url and a dataDir', async () => {
    await expect(createDatabase({ url: 'postgres://h/db', dataDir: '/tmp/x', schema: 'auth' })).rejects.toThrow(/either a database url or a dataDir/);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(createDatabase({ url: 'postgres://h/db', schema: 'Auth' })).rejects.toThrow(/schema "Auth" is not allowed/);
    await expect(createDatabase({ schema: 'auth; DROP' })).rejects.toBeInstanceOf(DatabaseUsageError);
  });

  it('explains a bad url without repeating it', async () => {
    const secret = 'pa55word';
    const err = (await createDatabase({ url: `mysql://u:${secret}@h/db`, schema: 'auth' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('database url must use postgres:// or postgresql://, not mysql://');
    const opts = (await createDatabase({ url: `postgres://u:${secret}@h/db?options=-csearch_path%3Dx`, schema: 'auth' }).catch((e: unknown) => e)) as Error;
    expect(opts.message).toMatch(/must not carry options=/);
    expect(opts.message).not.toContain(secret);
  });
});
