import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPepper } from '../../src/adapters/pepper-file.js';

describe('loadPepper', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aegis-pepper-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('a configured pepper is used as given and nothing is written', async () => {
    const configured = randomBytes(32);
    const { pepper, source } = await loadPepper(configured.toString('base64'), join(dir, 'auth'));
    expect(source).toBe('env');
    expect(pepper.equals(configured)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  test('without one, a 32-byte pepper is generated once, owner-readable only, and kept', async () => {
    const serviceDir = join(dir, 'auth');
    const first = await loadPepper(undefined, serviceDir);
    expect(first.source).toBe('file');
    expect(first.pepper).toHaveLength(32);
    expect((await stat(join(serviceDir, 'api-key-pepper'))).mode & 0o777).toBe(0o600);
    const again = await loadPepper(undefined, serviceDir);
    expect(again.pepper.equals(first.pepper)).toBe(true);
  });

  test('instances starting together on one directory agree on one pepper and leave no staging files', async () => {
    const serviceDir = join(dir, 'auth');
    const results = await Promise.all(Array.from({ length: 8 }, () => loadPepper(undefined, serviceDir)));
    for (const { pepper } of results) expect(pepper.equals(results[0]!.pepper)).toBe(true);
    expect(await readdir(serviceDir)).toEqual(['api-key-pepper']);
  });

  test('a truncated pepper file is refused, without quoting it', async () => {
    await writeFile(join(dir, 'api-key-pepper'), 'c2hvcnQ=');
    await expect(loadPepper(undefined, dir)).rejects.toThrow(/api-key-pepper does not hold a base64 pepper of at least 32 bytes/);
    await expect(loadPepper(undefined, dir)).rejects.not.toThrow(/c2hvcnQ/);
  });
});
