// `services/auth/src/main.ts` as an operator runs it: the first start's bootstrap key must
// reach stdout, since it is stored nowhere else. (That a restart has no banner to print is
// covered in-process by the contract suite.)

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { tempDataDir } from './auth-harness.js';

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const KEY_LINE = /^\s*(genxai_live_[0-9A-Za-z]{38})\s*$/m;
const LISTENING = /"url":"(http:\/\/[^"]+)".*"msg":"server: listening"/;

interface AuthProcess {
  /** The server URL and the key from stdout, once both have been printed. */
  started: Promise<{ url: string; key: string }>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

function runMain(dataDir: string, timeoutMs = 30_000): AuthProcess {
  // Embedded backends only: the parent's DATABASE_URL, KAFKA_BROKERS, AEGIS_AUTH_* must not leak in.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0' };
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript], { cwd: repoRoot, env });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<{ url: string; key: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`auth main printed no URL and key within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = LISTENING.exec(stdout)?.[1];
      const key = KEY_LINE.exec(stdout)?.[1];
      if (url !== undefined && key !== undefined) {
        clearTimeout(timer);
        resolve({ url, key });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`auth main exited with ${code}; stdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  started.catch(() => undefined);
  return {
    started,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('auth main', () => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: AuthProcess | undefined;

  beforeAll(async () => {
    dataDir = await tempDataDir();
  });
  afterAll(async () => {
    await auth?.stop();
    await dataDir?.remove();
  });

  test('prints the bootstrap key, which verifies, and stops cleanly on SIGTERM', async () => {
    auth = runMain(dataDir.path);
    const { url, key } = await auth.started;
    const client = createClient(ApiKeyService, createConnectTransport({ baseUrl: url, httpVersion: '1.1' }));
    const res = await client.verifyApiKey({ key });
    expect(res.valid).toBe(true);
    expect(res.principal?.userId).toBe('admin');
    expect(await auth.stop()).toBe(0);
  });
});
