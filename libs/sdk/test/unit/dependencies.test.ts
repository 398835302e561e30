// The SDK runs inside platform services: its runtime imports stay within its declared
// dependencies, and never reach the services' runtime (pg, ioredis, kafkajs, @aegis/shared).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(entries.map((e) => (e.isDirectory() ? sources(join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [join(dir, e.name)] : []))));
  return files.flat();
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

test('runtime imports are declared dependencies; adapters import their frameworks for types only', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
  const allowed = new Set(Object.keys(pkg.dependencies));
  const offences: string[] = [];
  for (const file of await sources(join(ROOT, 'src'))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)) {
      const typeOnly = m[1] !== undefined;
      const specifier = m[2]!;
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = packageOf(specifier);
      if (['pg', 'ioredis', 'kafkajs', '@aegis/shared'].includes(name)) offences.push(`${file}: ${specifier}`);
      else if (!allowed.has(name) && !(typeOnly && name in pkg.peerDependencies)) offences.push(`${file}: ${specifier}${typeOnly ? ' (type)' : ''}`);
    }
  }
  expect(offences).toEqual([]);
});

test('@aegis/pii-engine, which the local scan runs, stays off the services\' runtime too', async () => {
  const engine = join(ROOT, '../pii-engine');
  const pkg = JSON.parse(await readFile(join(engine, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const allowed = new Set(Object.keys(pkg.dependencies));
  const offences: string[] = [];
  for (const file of await sources(join(engine, 'src'))) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)) {
      const specifier = m[2]!;
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const name = packageOf(specifier);
      if (['pg', 'ioredis', 'kafkajs', '@aegis/shared'].includes(name) || !allowed.has(name)) offences.push(`${file}: ${specifier}`);
    }
  }
  expect(offences).toEqual([]);
});
