import { migrationChecksum, MigrationError, orderMigrationFiles } from '../../../src/db/index.js';

describe('orderMigrationFiles', () => {
  it('orders by version, keeps the description, ignores files that are not SQL', () => {
    expect(orderMigrationFiles(['0002_add_revoked_at.sql', 'README.md', '0001_create_api_keys.sql', '.gitkeep'])).toEqual([
      { version: 1, name: 'create_api_keys', file: '0001_create_api_keys.sql' },
      { version: 2, name: 'add_revoked_at', file: '0002_add_revoked_at.sql' },
    ]);
  });

  it('accepts an empty directory', () => {
    expect(orderMigrationFiles([])).toEqual([]);
  });

  it.each([
    ['1_init.sql'],
    ['00001_init.sql'],
    ['0001-init.sql'],
    ['0001_Init.sql'],
    ['0001_.sql'],
    ['0001_init__twice.sql'],
    ['0001_init.SQL.sql'],
  ])('rejects the badly named %s', (file) => {
    expect(() => orderMigrationFiles([file])).toThrow(MigrationError);
    expect(() => orderMigrationFiles([file])).toThrow(`"${file}" is not named NNNN_description.sql`);
  });

  it('rejects two files with one version, naming both', () => {
    expect(() => orderMigrationFiles(['0001_init.sql', '0002_b.sql', '0002_a.sql'])).toThrow(
      '"0002_a.sql" and "0002_b.sql" share version 0002',
    );
  });

  it('rejects a set that does not start at 0001', () => {
    expect(() => orderMigrationFiles(['0002_init.sql'])).toThrow('migration 0001 is missing: at the start comes "0002_init.sql"');
  });

  it('rejects a gap, naming the files around it', () => {
    expect(() => orderMigrationFiles(['0001_a.sql', '0002_b.sql', '0004_d.sql'])).toThrow(
      'migration 0003 is missing: after "0002_b.sql" comes "0004_d.sql"',
    );
  });
});

describe('migrationChecksum', () => {
  it('is the sha256 of the script', () => {
    expect(migrationChecksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('ignores CRLF versus LF, and nothing else', () => {
    const lf = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n';
    expect(migrationChecksum(lf.replace(/\n/g, '\r\n'))).toBe(migrationChecksum(lf));
    expect(migrationChecksum(lf.replace('int', 'bigint'))).not.toBe(migrationChecksum(lf));
    expect(migrationChecksum(`${lf} `)).not.toBe(migrationChecksum(lf));
  });
});
