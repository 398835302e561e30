// A private redis-server on a free port, for tests that stop, restart or flush Redis: the
// machine's Redis on 6379 is shared with other test files and must never be touched.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { closeRedis, createLogger, createRedis, redisPing } from '@aegis/shared';

export interface OwnRedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts (or restarts) the server on the same port, empty. */
  start(): Promise<void>;
  /** Stops it (SIGKILL: a crash, not a graceful shutdown). */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function ownRedisServer(): Promise<OwnRedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const server: OwnRedisServer = {
    port,
    url,
    async start() {
      if (child !== undefined) return;
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      child = started;
      started.once('exit', () => { if (child === started) child = undefined; });
      const probe = createRedis({ url, name: 'own-redis-probe', logger: createLogger({ service: 'own-redis', level: 'silent' }) });
      try {
        const deadline = Date.now() + 5_000;
        for (;;) {
          try {
            await redisPing(probe, 200);
            return;
          } catch (err) {
            if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`, { cause: err });
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      } finally {
        await closeRedis(probe, 200);
      }
    },
    async stop() {
      const running = child;
      if (running === undefined) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGKILL');
      await exited;
      child = undefined;
    },
  };
  await server.start();
  return server;
}
