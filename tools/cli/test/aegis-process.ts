// Runs the `aegis` binary (bin/aegis.js, as npm links it) in a child process, from the
// repository root, with the given extra environment and without an inherited AEGIS_API_KEY.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/aegis.js', import.meta.url));

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function aegis(args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  return run(process.execPath, [BIN, ...args], env);
}

export function run(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  const { AEGIS_API_KEY: _inherited, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
