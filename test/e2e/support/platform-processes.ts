// Every Aegis service as its own OS process (each service's src/main.ts) on the real Postgres,
// Redis and Kafka, plus the example agent gateway: a deployment in miniature. Ports are picked
// up front because auth and policy each need the other's URL at start.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '@aegis/shared/audit-integrity';
import { createTestDatabase, requireKafka, uniqueKafkaName, type TestDatabase } from '@aegis/shared/testing';
import { startChild, type ChildService } from './child-process.js';

export const SERVICE_NAMES = ['auth', 'policy', 'ratelimit', 'pii', 'billing', 'audit'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface PlatformProcesses {
  urls: Record<ServiceName, string>;
  brokers: string[];
  /** The bootstrap admin key auth printed (platform tenant `default`). */
  adminKey: string;
  /** Public key (base64 SPKI) of the one audit signing key every process uses. */
  auditPublicKey: string;
  /** Environment shared by every process (backends, addresses, audit signing). */
  commonEnv: Record<string, string>;
  dataDir: string;
  processes: Map<string, ChildService>;
  /** Starts the agent gateway with its own key; resolves with its URL. */
  startGateway(apiKey: string): Promise<string>;
  stop(): Promise<Record<string, number | null>>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls grpc.health.v1 over Connect JSON until the service says SERVING. */
async function serving(name: string, url: string, child: ChildService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) await child.waitFor(/$^/, 0); // throws with the output
    try {
      const res = await fetch(`${url}/grpc.health.v1.Health/Check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (res.ok && ((await res.json()) as { status?: string }).status === 'SERVING') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} was not SERVING within ${timeoutMs} ms\nstdout:\n${child.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function startPlatformProcesses(): Promise<PlatformProcesses> {
  const brokers = await requireKafka();
  const database: TestDatabase = await createTestDatabase({ schema: 'auth' });
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-e2e-platform-'));
  const signing = generateSigningKey();
  const ports = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (s) => [s, await freePort()] as const))) as Record<ServiceName, number>;
  const urls = Object.fromEntries(SERVICE_NAMES.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<ServiceName, string>;
  const commonEnv: Record<string, string> = {
    DATABASE_URL: database.url!,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    // This run's own Redis namespace: counters, caches and notice channels of no other run.
    AEGIS_REDIS_KEY_PREFIX: `e2e${randomBytes(4).toString('hex')}:`,
    KAFKA_BROKERS: brokers.join(','),
    AEGIS_DATA_DIR: dataDir,
    AEGIS_AUTH_URL: urls.auth,
    AEGIS_POLICY_URL: urls.policy,
    AEGIS_AUDIT_SIGNING_KEY: signing.pkcs8Base64,
    // Checkpoints every second, so a test sees signed ones.
    AEGIS_AUDIT_CHECKPOINT_INTERVAL: '1000',
    LOG_LEVEL: 'warn',
  };
  const perService: Record<ServiceName, Record<string, string>> = {
    auth: { AEGIS_AUTH_API_KEY_PEPPER: randomBytes(32).toString('base64') },
    policy: { AEGIS_POLICY_TENANT_SETTINGS_GROUP: uniqueKafkaName('e2e-policy-tenants') },
    ratelimit: {},
    pii: {},
    // Groups of this run only; the ledger and the sink start at the end of the shared topics.
    billing: {
      AEGIS_BILLING_CONSUMER_GROUP: uniqueKafkaName('e2e-billing-ledger'), AEGIS_BILLING_CONSUMER_FROM_BEGINNING: 'false',
      AEGIS_BILLING_TENANT_SETTINGS_GROUP: uniqueKafkaName('e2e-billing-tenants'),
    },
    audit: { AEGIS_AUDIT_CONSUMER_GROUP: uniqueKafkaName('e2e-audit-sink'), AEGIS_AUDIT_CONSUMER_FROM_BEGINNING: 'false' },
  };
  const processes = new Map<string, ChildService>();
  const stop = async () => {
    const codes: Record<string, number | null> = {};
    // The gateway first (its runs need the services), then the services together.
    const gateway = processes.get('gateway');
    if (gateway !== undefined) codes['gateway'] = await gateway.stop('SIGTERM');
    await Promise.all([...processes].filter(([name]) => name !== 'gateway').map(async ([name, child]) => {
      codes[name] = await child.stop('SIGTERM');
    }));
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
    return codes;
  };
  try {
    for (const name of SERVICE_NAMES) {
      processes.set(name, startChild(`services/${name}/src/main.ts`, { ...commonEnv, ...perService[name], [`AEGIS_${name.toUpperCase()}_PORT`]: String(ports[name]) }));
    }
    await Promise.all(SERVICE_NAMES.map((name) => serving(name, urls[name], processes.get(name)!, 180_000)));
    const adminKey = (await processes.get('auth')!.waitFor(/\b(genxai_live_[0-9A-Za-z]{38})\b/, 10_000))[1]!;
    return {
      urls, brokers, adminKey, auditPublicKey: signing.key.publicKeyBase64, commonEnv, dataDir, processes, stop,
      async startGateway(apiKey) {
        const gateway = startChild('examples/agent-gateway/src/main.ts', {
          ...commonEnv,
          AEGIS_GATEWAY_API_KEY: apiKey,
          AEGIS_GATEWAY_PORT: '0',
          AEGIS_RATELIMIT_URL: urls.ratelimit, AEGIS_PII_URL: urls.pii, AEGIS_BILLING_URL: urls.billing,
        });
        processes.set('gateway', gateway);
        return (await gateway.waitFor(/agent gateway: (http:\/\/\S+)\/agents\//, 120_000))[1]!;
      },
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
