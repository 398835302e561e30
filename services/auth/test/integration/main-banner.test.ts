// `services/auth/src/main.ts` as an operator runs it: the first start's bootstrap key must
// reach stdout, since it is stored nowhere else; a second start must print none.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { tempDataDir } from './auth-harness.js';

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const KEY_LINE = /^\s*(genxai_live_[0-9A-Za-z]{38})\s*$/m;

interface AuthProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  /** The server URL, once the service reports ready. */
  ready: Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

function runMain(dataDir: string): AuthProcess {
  // Embedded backends only: the parent's DATABASE_URL/KAFKA_BROKERS must not leak in.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript], { cwd: repoRoot, env });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`auth main did not become ready in 20 s; stdout: ${out} stderr: ${err}`)), 20_000);
    const check = (): void => {
      // The banner is written after start-up completes, so wait for it too when there is one.
      const url = /"url":"(http:\/\/[^"]+)".*"msg":"server: listening"/.exec(out)?.[1];
      if (url !== undefined && out.includes('"msg":"health: ready"')) {
        clearTimeout(timer);
        // One more turn so a banner written right after start-up is in `out`.
        setTimeout(() => resolve(url), 200);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`auth main exited with ${code} before it was ready; stderr: ${err}`));
    });
  });
  ready.catch(() => undefined);
  return {
    child,
    stdout: () => out,
    ready,
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('auth main', () => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  const processes: AuthProcess[] = [];

  beforeAll(async () => {
    dataDir = await tempDataDir();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await dataDir?.remove();
  });

  test('prints the bootstrap key once, on the first start only', async () => {
    const first = runMain(dataDir.path);
    processes.push(first);
    const url = await first.ready;
    const key = KEY_LINE.exec(first.stdout())?.[1];
    if (key === undefined) throw new Error(`no bootstrap key on stdout:\n${first.stdout()}`);
    const client = createClient(ApiKeyService, createConnectTransport({ baseUrl: url, httpVersion: '1.1' }));
    expect((await client.verifyApiKey({ key })).valid).toBe(true);
    expect(await first.stop()).toBe(0);

    const second = runMain(dataDir.path);
    processes.push(second);
    await second.ready;
    expect(second.stdout()).not.toMatch(KEY_LINE);
    expect(second.stdout()).not.toContain('Bootstrap admin API key');
    expect(await second.stop()).toBe(0);
  });
});
