// A private Redis Cluster for tests: three masters (no replicas) started with the installed
// `redis-server` on free ports, each in its own temporary directory, formed with
// `redis-cli --cluster create`. The shared Redis on 6379 is a single server, so code that
// must also work on Redis Cluster (hash tags, per-slot routing) is tested here.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HOST = '127.0.0.1';

export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...`, for the project's Redis factory. */
  readonly url: string;
  readonly ports: readonly number[];
  /** Kills every server and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

export interface TestRedisClusterOptions {
  /** Master count (Redis Cluster needs at least 3). */
  masters?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function requireBinaries(): Promise<void> {
  for (const binary of ['redis-server', 'redis-cli']) {
    try {
      await run(binary, ['--version']);
    } catch (err) {
      // Never a skip: a missing binary would otherwise silently drop the cluster coverage.
      throw new Error(
        `${binary} is not installed or not on PATH; the Redis Cluster tests need it ` +
          '(install the redis-server/redis-tools packages)' + (process.env.CI === 'true' ? ' — failing under CI=true.' : '.'),
        { cause: err },
      );
    }
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} within ${timeoutMs} ms`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts and forms the cluster; resolves once every node reports `cluster_state:ok`. */
export async function startTestRedisCluster(opts: TestRedisClusterOptions = {}): Promise<TestRedisCluster> {
  const masters = opts.masters ?? 3;
  await requireBinaries();
  const servers: { port: number; dir: string; child: ChildProcess; exited: Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= Promise.all(
      servers.map(async ({ child, dir, exited }) => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        await rm(dir, { recursive: true, force: true });
      }),
    ).then(() => undefined);
    return stopping;
  };

  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      const dir = await mkdtemp(join(tmpdir(), `aegis-redis-cluster-${port}-`));
      const child = spawn(
        'redis-server',
        [
          '--port', String(port), '--bind', HOST, '--dir', dir,
          '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
          '--save', '', '--appendonly', 'no',
        ],
        { stdio: 'ignore' },
      );
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
      servers.push({ port, dir, child, exited });
    }
    for (const { port, child } of servers) {
      await waitFor(`redis-server on port ${port} did not start`, 5_000, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${child.exitCode}`);
        return (await cli(port, 'PING')).trim() === 'PONG';
      });
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...servers.map(({ port }) => `${HOST}:${port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    );
    // Every node must agree, or the client's first CLUSTER SLOTS may see a partial map.
    for (const { port } of servers) {
      await waitFor(`node ${port} did not reach cluster_state:ok`, 15_000, async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const ports = servers.map(({ port }) => port);
  return { url: `redis+cluster://${ports.map((port) => `${HOST}:${port}`).join(',')}`, ports, stop };
}
