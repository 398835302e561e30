// Locations and the buf binary shared by the contract tests.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The monorepo root (holds buf.yaml and buf.gen.yaml). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where `buf generate` writes the committed code. */
export const generatedDir = path.join(repoRoot, 'libs/proto/src/gen');

const binDir = path.join(repoRoot, 'node_modules/.bin');
const bufBin = path.join(binDir, 'buf');

export interface BufResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the npm-installed buf (offline; local plugins only) from the repo root,
 * with node_modules/.bin first on PATH so `local: protoc-gen-es` resolves as under npx.
 */
export function runBuf(args: string[]): Promise<BufResult> {
  const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
  return new Promise((resolve) => {
    execFile(bufBin, args, { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
