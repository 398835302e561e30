// All five services in this process on the real backends: a fresh Postgres database, the Redis
// server under a key prefix of this run, Kafka with consumer groups of this run. The CLI is run
// against them in process (runCli with a captured CliIO) or as the spawned binary.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { authService } from '@aegis/auth-service';
import { billingService } from '@aegis/billing-service';
import { piiService } from '@aegis/pii-service';
import { policyService } from '@aegis/policy-service';
import { ratelimitService } from '@aegis/ratelimit-service';
import { createLogger, startServices, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { runCli } from '../../src/cli.js';
import type { CliIO } from '../../src/command.js';

const SERVICES = ['auth', 'policy', 'ratelimit', 'pii', 'billing'] as const;
const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

export interface Platform {
  adminKey: string;
  urls: Record<(typeof SERVICES)[number], string>;
  /** AEGIS_<SERVICE>_URL for every service, and AEGIS_API_KEY (the admin key unless given). */
  env(apiKey?: string): Record<string, string>;
  stop(): Promise<void>;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON. */
  json(): any;
}

/** Runs `aegis <argv>` in this process with the given environment (and stdin text). */
export async function aegisIn(argv: readonly string[], env: Record<string, string>, opts: { stdin?: string; cwd?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env,
    cwd: opts.cwd ?? process.cwd(),
    ...(opts.stdin !== undefined ? { stdin: Readable.from([Buffer.from(opts.stdin)]) } : {}),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

export async function startPlatform(): Promise<Platform> {
  const leaked = Object.keys(process.env).filter((name) => /^AEGIS_(AUTH|POLICY|RATELIMIT|PII|BILLING)_/.test(name) || name === 'AEGIS_URL' || name === 'AEGIS_API_KEY');
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the CLI tests`);
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-cli-platform-'));
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  const cleanUp = async () => {
    await redis?.close();
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  let running: RunningServices;
  try {
    const brokers = await requireKafka();
    redis = await createTestRedis({ name: 'cli-platform' });
    db = await createTestDatabase({ schema: 'auth' });
    running = await startServices([authService, policyService, ratelimitService, piiService, billingService], {
      processName: 'cli-test',
      telemetry: false,
      logger: createLogger({ service: 'cli-test', level: 'silent' }),
      env: {
        AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','),
        AEGIS_REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:`,
        // Consumer groups of this run only: the topics are shared with other runs.
        AEGIS_BILLING_CONSUMER_GROUP: uniqueKafkaName('cli-billing-ledger'), AEGIS_BILLING_CONSUMER_FROM_BEGINNING: 'false',
        AEGIS_BILLING_TENANT_SETTINGS_GROUP: uniqueKafkaName('cli-billing-tenants'),
        AEGIS_POLICY_TENANT_SETTINGS_GROUP: uniqueKafkaName('cli-policy-tenants'),
        ...Object.fromEntries(SERVICES.map((s) => [`AEGIS_${s.toUpperCase()}_PORT`, '0'])),
      },
    });
  } catch (err) {
    await cleanUp();
    throw err;
  }
  const adminKey = running.services[0]!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  if (adminKey === undefined) {
    await running.stop();
    await cleanUp();
    throw new Error('auth printed no bootstrap admin key');
  }
  const urls = Object.fromEntries(SERVICES.map((s, i) => [s, running.services[i]!.url])) as Platform['urls'];
  return {
    adminKey,
    urls,
    env: (apiKey = adminKey) => ({ AEGIS_API_KEY: apiKey, ...Object.fromEntries(SERVICES.map((s) => [`AEGIS_${s.toUpperCase()}_URL`, urls[s]])) }),
    async stop() {
      const { failed } = await running.stop();
      await cleanUp();
      if (failed.length > 0) throw new Error(`services did not stop cleanly: ${failed.join(', ')}`);
    },
  };
}

/** Polls until `read` returns a value (the ledger books usage from Kafka asynchronously). */
export async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
