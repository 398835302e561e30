// The committed generated code must be exactly what `buf generate` produces
// from the committed contracts: a contract change without regeneration fails here.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generatedDir, repoRoot, runBuf } from './repo.js';

async function listFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? listFiles(root, full) : Promise.resolve([path.relative(root, full)]);
    }),
  );
  return nested.flat().sort();
}

/** buf.gen.yaml with every plugin's `out` redirected into `outDir`. */
async function templateInto(outDir: string): Promise<string> {
  const template = await readFile(path.join(repoRoot, 'buf.gen.yaml'), 'utf8');
  const redirected = template.replace(/^(\s*out:\s*).*$/gm, `$1${JSON.stringify(outDir)}`);
  expect(redirected).not.toEqual(template);
  return redirected;
}

describe('generated protobuf code', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'aegis-buf-gen-'));
  });

  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  test('is up to date with proto/ (run `npm run generate` if this fails)', async () => {
    const outDir = path.join(tmp, 'gen');
    const templatePath = path.join(tmp, 'buf.gen.yaml');
    await writeFile(templatePath, await templateInto(outDir));

    const result = await runBuf(['generate', '--template', templatePath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const fresh = await listFiles(outDir);
    const committed = await listFiles(generatedDir);
    expect(fresh.length).toBeGreaterThan(0);

    const missing = fresh.filter((f) => !committed.includes(f));
    const extra = committed.filter((f) => !fresh.includes(f));
    const stale: string[] = [];
    for (const file of fresh.filter((f) => committed.includes(f))) {
      const [a, b] = await Promise.all([
        readFile(path.join(outDir, file), 'utf8'),
        readFile(path.join(generatedDir, file), 'utf8'),
      ]);
      if (a !== b) stale.push(file);
    }
    expect({ missing, extra, stale }).toEqual({ missing: [], extra: [], stale: [] });
  });
});
