import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bench/results/`, wherever the script is started from. */
export const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Where and on what a result was measured: without it, figures from two runs cannot be compared. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  arch: string;
  /** ISO 8601, UTC. */
  date: string;
  /** `HEAD` of the work tree, or `unknown` outside a git checkout. */
  gitCommit: string;
  /** Whether tracked files differed from `gitCommit` (the figures may then not be reproducible from it). */
  gitDirty: boolean | 'unknown';
}

export interface BenchResult<T> {
  name: string;
  machine: MachineInfo;
  result: T;
}

export function machineInfo(now: Date = new Date()): MachineInfo {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    date: now.toISOString(),
    ...gitState(),
  };
}

function gitState(): Pick<MachineInfo, 'gitCommit' | 'gitDirty'> {
  const cwd = dirname(RESULTS_DIR);
  let gitCommit: string;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return { gitCommit: 'unknown', gitDirty: 'unknown' };
  }
  try {
    // Exit status 1 when tracked files differ from HEAD.
    execFileSync('git', ['diff', '--quiet', 'HEAD', '--'], { cwd, stdio: 'ignore' });
    return { gitCommit, gitDirty: false };
  } catch (err) {
    return { gitCommit, gitDirty: (err as { status?: number }).status === 1 ? true : 'unknown' };
  }
}

// Six significant digits: run-to-run noise is in the second or third, and a diff of two
// results should show changed figures, not changed float noise.
function roundFractions(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value) ? Number(value.toPrecision(6)) : value;
}

/**
 * Writes `{ name, machine, result }` as pretty JSON (fractions to six significant digits)
 * to `<dir>/<name>.json` (default `bench/results/`), replacing the previous result of the
 * same bench; returns the path.
 */
export function writeResult<T>(name: string, result: T, opts: { dir?: string; machine?: MachineInfo } = {}): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`bench result name must be kebab-case, got "${name}"`);
  const dir = opts.dir ?? RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const body: BenchResult<T> = { name, machine: opts.machine ?? machineInfo(), result };
  writeFileSync(path, `${JSON.stringify(body, roundFractions, 2)}\n`);
  return path;
}
