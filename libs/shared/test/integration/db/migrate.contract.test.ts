import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MigrationError, migrationChecksum } from '../../../src/db/index.js';
import { createTestDatabase, createTestPglite, type TestDatabase } from '../../../src/testing/postgres.js';

const engines = [
  ['pglite', createTestPglite],
  ['postgres', createTestDatabase],
] as const;

const CREATE_KEYS = `
  -- pg_sleep widens the window in which a second instance would collide without the lock.
  SELECT pg_sleep(0.2);
  CREATE TABLE api_keys (id text PRIMARY KEY, tenant text NOT NULL);
`;
const ADD_REVOKED = 'ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz;\nCREATE INDEX api_keys_tenant ON api_keys (tenant);';

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aegis-migrations-'));
  await Promise.all(Object.entries(files).map(([name, sql]) => writeFile(join(dir, name), sql)));
  return dir;
}

async function schemaExists(db: TestDatabase, schema: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
  return rowCount === 1;
}

describe.each(engines)('migrate on %s', (_kind, create) => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const dirWith = async (files: Record<string, string>): Promise<string> => {
    const dir = await migrationsDir(files);
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    db = await create({ schema: 'keys_svc' });
  });
  afterAll(async () => {
    await db.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('creates the schema, applies files in order into it, records them, and is idempotent', async () => {
    const dir = await dirWith({ '0002_add_revoked.sql': ADD_REVOKED, '0001_create_keys.sql': CREATE_KEYS, 'README.md': 'ignored' });

    const applied = await migrate(db, { migrationsDir: dir });
    expect(applied).toEqual([
      { version: 1, name: 'create_keys', checksum: migrationChecksum(CREATE_KEYS) },
      { version: 2, name: 'add_revoked', checksum: migrationChecksum(ADD_REVOKED) },
    ]);

    const { rows } = await db.query('SELECT table_schema, column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [
      'api_keys',
    ]);
    expect(rows).toEqual([
      { table_schema: 'keys_svc', column_name: 'id' },
      { table_schema: 'keys_svc', column_name: 'tenant' },
      { table_schema: 'keys_svc', column_name: 'revoked_at' },
    ]);
    const ledger = await db.query('SELECT version, name, checksum, applied_at IS NOT NULL AS stamped FROM keys_svc.schema_migrations ORDER BY version');
    expect(ledger.rows).toEqual([
      { version: 1, name: 'create_keys', checksum: migrationChecksum(CREATE_KEYS), stamped: true },
      { version: 2, name: 'add_revoked', checksum: migrationChecksum(ADD_REVOKED), stamped: true },
    ]);

    await expect(migrate(db, { migrationsDir: dir })).resolves.toEqual([]);

    await writeFile(join(dir, '0003_add_label.sql'), 'ALTER TABLE api_keys ADD COLUMN label text;');
    await expect(migrate(db, { migrationsDir: dir })).resolves.toEqual([expect.objectContaining({ version: 3, name: 'add_label' })]);
  });

  it('refuses to run when an applied migration changed, naming the file', async () => {
    const dir = await dirWith({ '0001_create_keys.sql': CREATE_KEYS });
    const drifting = await db.open('drift_svc');
    await migrate(drifting, { migrationsDir: dir });

    await writeFile(join(dir, '0001_create_keys.sql'), `${CREATE_KEYS}\nCREATE INDEX sneaky ON api_keys (tenant);`);
    await writeFile(join(dir, '0002_next.sql'), 'CREATE TABLE next_step (id int);');
    const run = migrate(drifting, { migrationsDir: dir });
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    await expect(run).rejects.toThrow(/0001_create_keys\.sql was changed after it was applied/);
    // Nothing after the drift was applied either.
    await expect(drifting.query('SELECT 1 FROM next_step')).rejects.toMatchObject({ code: '42P01' });
  });

  it('rolls back a failing migration completely and names it', async () => {
    const dir = await dirWith({
      '0001_create_keys.sql': CREATE_KEYS,
      '0002_broken.sql': 'CREATE TABLE half_done (id int);\nALTER TABLE no_such_table ADD COLUMN x int;',
    });
    const broken = await db.open('broken_svc');
    const run = migrate(broken, { migrationsDir: dir });
    await expect(run).rejects.toThrow(/migration 0002_broken\.sql failed in schema "broken_svc"/);
    await expect(broken.query('SELECT 1 FROM half_done')).rejects.toMatchObject({ code: '42P01' });
    const { rows } = await broken.query('SELECT version FROM schema_migrations');
    expect(rows).toEqual([{ version: 1 }]);
  });

  it.each([
    ['a gap', { '0001_a.sql': 'SELECT 1', '0003_c.sql': 'SELECT 1' }, /migration 0002 is missing: after "0001_a\.sql" comes "0003_c\.sql"/],
    ['a duplicate', { '0001_a.sql': 'SELECT 1', '0001_b.sql': 'SELECT 1' }, /"0001_a\.sql" and "0001_b\.sql" share version 0001/],
    ['a bad name', { '1_init.sql': 'SELECT 1' }, /"1_init\.sql" is not named NNNN_description\.sql/],
  ])('rejects %s in the numbering before touching the database', async (_case, files, message) => {
    const dir = await dirWith(files);
    const untouched = await db.open('numbering_svc');
    await expect(migrate(untouched, { migrationsDir: dir })).rejects.toThrow(message);
    expect(await schemaExists(db, 'numbering_svc')).toBe(false);
  });

  it('serialises instances migrating at the same time so each migration is applied once', async () => {
    const dir = await dirWith({ '0001_create_keys.sql': CREATE_KEYS, '0002_add_revoked.sql': ADD_REVOKED });
    // Two database objects on the same database and schema: two replicas of one service starting together.
    const [replicaA, replicaB] = await Promise.all([db.open('race_svc'), db.open('race_svc')]);
    const [appliedByA, appliedByB] = await Promise.all([
      migrate(replicaA!, { migrationsDir: dir }),
      migrate(replicaB!, { migrationsDir: dir }),
    ]);
    const versions = [...appliedByA, ...appliedByB].map((m) => m.version).sort();
    expect(versions).toEqual([1, 2]);
    const { rows } = await db.query('SELECT version FROM race_svc.schema_migrations ORDER BY version');
    expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
  });
});
