import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parsePolicyTestFile, type PolicyFileProblem, type PolicyTestFile } from '@aegis/policy-service/policy-tests';

// Which files `aegis policies test <file-or-dir>...` reads: a file as given (whatever its
// extension), a directory's *.yaml and *.yml files at any depth, skipping hidden directories
// and node_modules. Sorted, so output and bundle order do not depend on the file system.

const TEST_FILE = /\.ya?ml$/;

/** `pattern`: the file names read inside directories (`policies apply` reads .json too). */
export async function loadTestFiles(paths: readonly string[], cwd: string, pattern: RegExp = TEST_FILE): Promise<{ files: PolicyTestFile[]; problems: PolicyFileProblem[] }> {
  const problems: PolicyFileProblem[] = [];
  const found = new Set<string>();
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    const info = await stat(absolute).catch(() => undefined);
    if (info === undefined) problems.push({ file: path, message: 'no such file or directory' });
    else if (info.isDirectory()) {
      const inside = await filesUnder(absolute, pattern);
      if (inside.length === 0) problems.push({ file: path, message: `the directory holds no ${pattern === TEST_FILE ? '.yaml or .yml' : '.yaml, .yml or .json'} files` });
      inside.forEach((f) => found.add(f));
    } else found.add(absolute);
  }
  const files: PolicyTestFile[] = [];
  for (const absolute of [...found].sort()) {
    const name = displayName(cwd, absolute);
    try {
      files.push(parsePolicyTestFile(name, await readFile(absolute, 'utf8')));
    } catch (err) {
      problems.push({ file: name, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  return { files, problems };
}

async function filesUnder(dir: string, pattern: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path, pattern)));
    else if (entry.isFile() && pattern.test(entry.name)) out.push(path);
  }
  return out;
}

function displayName(cwd: string, absolute: string): string {
  const rel = relative(cwd, absolute);
  return rel.startsWith('..') ? absolute : rel;
}
