import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MigrationFile {
  version: number;
  /** The description part: `0003_add_key_prefix.sql` → `add_key_prefix`. */
  name: string;
  /** The file name, used in every error so the reader knows which file to look at. */
  file: string;
  sql: string;
  /** sha256 (hex) of the SQL with line endings normalised to \n. */
  checksum: string;
}

/** A migration set that must not be applied: bad names, numbering, drift or a failing script. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

const FILE_NAME = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

/**
 * Checks the names of a migrations directory and returns them ordered by version.
 * Strict on purpose: a file named `1_init.sql` or two files numbered 0004 (two branches
 * merged) must stop the deploy, not be silently skipped or applied in a surprising order.
 * Files not ending in .sql (a README) are ignored.
 */
export function orderMigrationFiles(fileNames: readonly string[]): Array<Pick<MigrationFile, 'version' | 'name' | 'file'>> {
  const parsed = fileNames
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match) {
        throw new MigrationError(
          `migration file "${file}" is not named NNNN_description.sql (four digits, then lowercase words joined by _)`,
        );
      }
      return { version: Number(match[1]), name: match[2] as string, file };
    })
    .sort((a, b) => a.version - b.version || a.file.localeCompare(b.file));

  parsed.forEach((migration, index) => {
    const previous = parsed[index - 1];
    if (previous && previous.version === migration.version) {
      throw new MigrationError(`migrations "${previous.file}" and "${migration.file}" share version ${pad(migration.version)}`);
    }
    const expected = index + 1;
    if (migration.version !== expected) {
      const after = previous ? `after "${previous.file}"` : 'at the start';
      throw new MigrationError(`migration ${pad(expected)} is missing: ${after} comes "${migration.file}" (versions start at 0001, no gaps)`);
    }
  });
  return parsed;
}

export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new MigrationError(`cannot read migrations directory ${dir}`, { cause: err });
  }
  return Promise.all(
    orderMigrationFiles(names).map(async (entry) => {
      const sql = await readFile(join(dir, entry.file), 'utf8');
      return { ...entry, sql, checksum: migrationChecksum(sql) };
    }),
  );
}

// Line endings are normalised so a checkout with core.autocrlf does not look like drift.
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

export function pad(version: number): string {
  return String(version).padStart(4, '0');
}
