// A ratelimit service instance in its own OS process, as a deployment runs it: its `main.ts`
// under tsx, its own event loop, its own Redis and Postgres connections, talking to auth and
// policy over the network. Stopped with SIGTERM (SIGKILL if it does not exit in time).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface RatelimitProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `services/ratelimit/src/main.ts` with `env` (plus PATH and HOME) and waits until it listens. */
export async function startRatelimitProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<RatelimitProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-ratelimit-process-'));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AEGIS_DATA_DIR: dataDir, AEGIS_RATELIMIT_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
  child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString('utf8'); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await listeningUrl(child, () => out, () => err, timeoutMs);
    return { url, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function listeningUrl(child: ChildProcess, out: () => string, err: () => string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /"url":"(http:\/\/[^"]+)"/.exec(out());
    if (match) return match[1]!;
    if (child.exitCode !== null) throw new Error(`ratelimit exited (${child.exitCode}) before listening\nstdout:\n${out()}\nstderr:\n${err()}`);
    if (Date.now() > deadline) throw new Error(`ratelimit did not listen within ${timeoutMs} ms\nstdout:\n${out()}\nstderr:\n${err()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
