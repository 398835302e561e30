// The action registry in docs/events.md is what subscribers build on: its billing row must list
// exactly the actions the billing service emits.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
// Actions are "<object>.<verb in past tense>"; request field names ("budget.name") share the prefixes.
const ACTION = /'((?:usage|budget|price|cost_alert)\.[a-z_]*ed)'/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
  return nested.flat();
}

test('docs/events.md lists exactly the actions the billing service emits', async () => {
  const emitted = new Set<string>();
  for (const file of await sourceFiles(join(root, 'services/billing/src'))) {
    for (const match of (await readFile(file, 'utf8')).matchAll(ACTION)) emitted.add(match[1]!);
  }
  const doc = await readFile(join(root, 'docs/events.md'), 'utf8');
  const row = doc.split('\n').find((line) => line.startsWith('| billing |'))!;
  const documented = new Set([...row.matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((m) => m[1]!));
  expect([...emitted].sort()).toEqual([...documented].sort());
});
