import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A server a bench started in its own process, and the addresses it reported. */
export interface ChildServer<T> {
  readonly info: T;
  readonly pid: number;
  /** CPU time (user + system, µs) the server process has used so far. */
  cpuUsageUs(): Promise<number>;
  stop(): Promise<void>;
}

interface ReadyMessage<T> {
  type: 'ready';
  info: T;
}

interface CpuUsageMessage {
  type: 'cpu-usage';
  id: number;
  us?: number;
}

/** What the child's entry module hands `serveToParent`. */
export interface StartedServers<T> {
  info: T;
  stop(): Promise<void>;
}

/**
 * Runs `entry` (a module calling `serveToParent`) in a child Node process with tsx and
 * waits for its servers to be listening. Client and server then have an event loop (and,
 * on two cores, a core) each, as in production, instead of taking turns on one loop.
 */
export async function startChildServer<T>(
  entry: string,
  opts: { args?: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ChildServer<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(entry), ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const info = await new Promise<T>((resolveReady, reject) => {
    const timer = setTimeout(() => fail(new Error(`bench server ${entry} was not ready after ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => {
      if (!isReady<T>(message)) return;
      cleanup();
      resolveReady(message.info);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`bench server ${entry} exited before it was ready (code ${code}, signal ${signal})`));
    const onError = (err: Error) => fail(err);
    function cleanup() {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
    }
    function fail(err: Error) {
      cleanup();
      child.kill('SIGKILL');
      reject(err);
    }
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
  });
  return { info, pid: child.pid!, cpuUsageUs: cpuUsageOf(child), stop: () => stopChild(child) };
}

function cpuUsageOf(child: ChildProcess): () => Promise<number> {
  const pending = new Map<number, { resolve: (us: number) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  child.on('message', (message: unknown) => {
    if (!isCpuUsage(message) || message.us === undefined) return;
    pending.get(message.id)?.resolve(message.us);
    pending.delete(message.id);
  });
  child.once('exit', () => {
    for (const { reject } of pending.values()) reject(new Error('bench server exited while its CPU time was asked'));
    pending.clear();
  });
  return () => new Promise((resolveUsage, reject) => {
    const id = nextId++;
    pending.set(id, { resolve: resolveUsage, reject });
    const request: CpuUsageMessage = { type: 'cpu-usage', id };
    child.send(request);
  });
}

/** CPU time (user + system) this process has used, in µs. */
export function ownCpuUsageUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function isReady<T>(message: unknown): message is ReadyMessage<T> {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}

function isCpuUsage(message: unknown): message is CpuUsageMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'cpu-usage';
}

/**
 * The child's side: starts the servers, reports `info` to the parent, answers its questions
 * about CPU usage, and stops the servers when the parent asks or goes away (so a bench
 * killed mid-run leaves no server behind).
 */
export function serveToParent<T>(start: () => Promise<StartedServers<T>>): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('this module is a bench server: start it with startChildServer()');
  start().then(
    (servers) => {
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        servers.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error('bench server: stop failed', err);
            process.exit(1);
          },
        );
      };
      process.on('message', (message: unknown) => {
        if (isCpuUsage(message)) {
          const answer: CpuUsageMessage = { type: 'cpu-usage', id: message.id, us: ownCpuUsageUs() };
          send(answer);
        } else if ((message as { type?: unknown } | null)?.type === 'stop') {
          stop();
        }
      });
      process.once('disconnect', stop);
      const ready: ReadyMessage<T> = { type: 'ready', info: servers.info };
      send(ready);
    },
    (err: unknown) => {
      console.error('bench server: start failed', err);
      process.exit(1);
    },
  );
}
