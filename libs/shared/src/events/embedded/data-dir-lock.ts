import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

// The embedded log is single-process: two writers appending to one partition file would
// interleave records. A lock file holding the owner's pid makes a second opener fail loudly.

const heldHere = new Set<string>();

/** Takes the lock on `dir` (which must exist) and returns its release. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, '.lock');
  if (heldHere.has(path)) {
    throw new Error(`event log ${dir} is already open in this process; the embedded event bus is single-process`);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx', 0o600);
      try {
        await file.writeFile(String(process.pid), 'utf8');
      } finally {
        await file.close();
      }
      heldHere.add(path);
      return async () => {
        heldHere.delete(path);
        await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      // Our own pid without an entry in heldHere is a lock left by an earlier run that had the
      // same pid (containers restart as pid 1): stale, like a lock whose process is gone.
      if (owner !== process.pid && isAlive(owner)) {
        throw new Error(`event log ${dir} is in use by process ${owner}; the embedded event bus is single-process`);
      }
      await unlink(path).catch(() => undefined);
    }
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
