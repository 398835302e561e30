// The audit sink as its callers see it: started with auth and policy in one process (auth
// verifies credentials, policy decides permissions), called over HTTP. Embedded backends
// (PGlite, the embedded event log) or a fresh Postgres database, Redis and Kafka. On Kafka the
// sink reads a topic of this run only (the shared audit topic would mix in other runs'
// records), and the test's EventPublisher writes there; the sink's clock is the test's.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { policyService } from '@aegis/policy-service';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { AuditLogService } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import {
  createEventBus, createLogger, EventPublisher, startServices, TOPICS,
  type EventBus, type EventProducer, type RunningServices, type ServiceDefinition, type SqlDatabase,
} from '@aegis/shared';
import { generateSigningKey, type AuditSigningKey } from '@aegis/shared/audit-integrity';
import { createTestDatabase, createTestRedis, deleteKafkaTopics, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { buildAuditSink } from '../../../src/audit-module.js';
import { auditService } from '../../../src/definition.js';

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
/** Auth's bootstrap tenant; its administrators act in every tenant. */
export const PLATFORM_TENANT = 'default';

export interface AuditBackend {
  readonly name: string;
  /** The topic the sink reads (created here when it is not a standard topic). */
  topic(): Promise<string>;
  env(dataDir: string): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

export function embeddedAuditBackend(): AuditBackend {
  return { name: 'embedded', topic: async () => TOPICS.audit, env: async (dataDir) => ({ AEGIS_DATA_DIR: dataDir }), tearDown: async () => {} };
}

export function realAuditBackend(): AuditBackend {
  const topic = uniqueKafkaName('aegis.audit.v1-sink-test');
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let brokers: string[] | undefined;
  return {
    name: 'Postgres + Redis + Kafka',
    async topic() {
      brokers ??= await requireKafka();
      const bus = await createEventBus({ kafkaBrokers: brokers, clientId: 'audit-sink-test-admin', dataDir: '', logger: createLogger({ service: 'audit-test', level: 'silent' }) });
      try {
        await bus.ensureTopics([{ topic, partitions: 3 }]);
      } finally {
        await bus.close();
      }
      return topic;
    },
    async env(dataDir) {
      brokers ??= await requireKafka();
      redis ??= await createTestRedis({ name: 'audit-service' });
      db ??= await createTestDatabase({ schema: 'audit' });
      return {
        AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','), AEGIS_REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:`,
        AEGIS_AUDIT_CONSUMER_GROUP: uniqueKafkaName('audit-sink-test'),
        // aegis.tenants.v1 is shared: a group of this run only.
        AEGIS_POLICY_TENANT_SETTINGS_GROUP: uniqueKafkaName('policy-tenant-settings-test'),
      };
    },
    async tearDown() {
      await redis?.close();
      await db?.close();
      if (brokers !== undefined) await deleteKafkaTopics(brokers, [topic, `${topic}.dlq`]).catch(() => undefined);
    },
  };
}

export const BACKENDS: [string, () => AuditBackend][] = [
  ['embedded', embeddedAuditBackend],
  ['Postgres + Redis + Kafka', realAuditBackend],
];

/** The sink's clock: real time plus whatever the test added. */
export class TestClock {
  offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface RunningAudit {
  /** The sink's URL and auth's bootstrap admin key (platform tenant, every permission). */
  url: string;
  adminKey: string;
  admin: Client<typeof AuditLogService>;
  clients(credential: string): Client<typeof AuditLogService>;
  /** A real EventPublisher whose audit events go to the sink's topic, signed with a key the sink trusts. */
  publisher: EventPublisher;
  /** Another such publisher (its own chains), checkpointing every `checkpointEvery` events; closed by stop(). */
  publisherWith(opts: { checkpointEvery: number }): EventPublisher;
  /** Raw messages on the sink's topic (redeliveries, garbage). */
  producer: EventProducer;
  /** The process's event bus (Kafka or the embedded log). */
  events: EventBus;
  topic: string;
  signingKey: AuditSigningKey;
  clock: TestClock;
  /** The sink's own database (its schema), for tampering with stored rows. */
  db: SqlDatabase;
  /** An API key of a new user of the platform tenant holding the built-in viewer role. */
  viewerKey(): Promise<string>;
  stop(): Promise<void>;
}

function transportAt(url: string, credential: string) {
  return createConnectTransport({
    baseUrl: url,
    httpVersion: '1.1',
    interceptors: [(next) => (req) => {
      req.header.set('authorization', `Bearer ${credential}`);
      return next(req);
    }],
  });
}

/** The bus as the test's publisher sees it: what would go to the audit topic goes to `topic`. */
function onTopic(bus: EventBus, topic: string): EventBus {
  return {
    producer: () => {
      const p = bus.producer();
      return {
        publish: (m) => p.publish((Array.isArray(m) ? m : [m]).map((x) => ({ ...x, topic: x.topic === TOPICS.audit ? topic : x.topic }))),
        close: () => p.close(),
      };
    },
    subscribe: (s) => bus.subscribe(s),
    ensureTopics: (t) => bus.ensureTopics(t),
    ping: () => bus.ping(),
    close: () => bus.close(),
  };
}

export async function startAudit(opts: { backend?: AuditBackend; env?: Record<string, string> } = {}): Promise<RunningAudit> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_') || name.startsWith('AEGIS_AUDIT_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the audit service tests`);
  const backend = opts.backend ?? embeddedAuditBackend();
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-audit-test-'));
  const cleanUp = async () => {
    await backend.tearDown();
    await rm(dataDir, { recursive: true, force: true });
  };
  const clock = new TestClock();
  const signing = generateSigningKey();
  let db: SqlDatabase | undefined;
  let running: RunningServices;
  try {
    const topic = await backend.topic();
    const sink: ServiceDefinition = {
      ...auditService,
      async build(ctx) {
        db = ctx.db;
        return buildAuditSink(ctx, { topic, now: clock.now });
      },
    };
    running = await startServices([authService, policyService, sink], {
      processName: 'audit-test',
      telemetry: false,
      logger: createLogger({ service: 'audit-test', level: process.env['AUDIT_TEST_LOG'] ?? 'silent' }),
      env: {
        ...(await backend.env(dataDir)), AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_AUDIT_PORT: '0',
        // The process signs with this key, so the sink trusts it as its own.
        AEGIS_AUDIT_SIGNING_KEY: signing.pkcs8Base64,
        AEGIS_AUDIT_RETENTION_SWEEP_INTERVAL_MS: '100',
        AEGIS_AUDIT_RETENTION_SWEEP_BATCH: '2',
        ...opts.env,
      },
    });
    const [auth, , audit] = running.services;
    const adminKey = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined)!;
    const bus = onTopic(running.events, topic);
    const publisher = new EventPublisher(bus, { signingKey: signing.key, checkpointEvery: 1000, checkpointIntervalMs: 3_600_000 });
    const producer = bus.producer();
    const extra: EventPublisher[] = [];
    const clients = (credential: string) => createClient(AuditLogService, transportAt(audit!.url, credential));
    const users = createClient(UserService, transportAt(auth!.url, adminKey));
    const keys = createClient(ApiKeyService, transportAt(auth!.url, adminKey));
    return {
      url: audit!.url, adminKey, admin: clients(adminKey), clients, publisher, producer, events: running.events,
      publisherWith(o) {
        const p = new EventPublisher(bus, { signingKey: signing.key, checkpointEvery: o.checkpointEvery, checkpointIntervalMs: 3_600_000 });
        extra.push(p);
        return p;
      }, topic, signingKey: signing.key, clock, db: db!,
      async viewerKey() {
        const { user } = await users.createUser({ tenantId: PLATFORM_TENANT, email: `v-${randomBytes(4).toString('hex')}@x.test`, roles: ['viewer'] });
        return (await keys.createApiKey({ tenantId: PLATFORM_TENANT, userId: user!.userId, name: 'audit-test-viewer' })).secret;
      },
      async stop() {
        for (const p of [publisher, ...extra]) await p.close();
        await producer.close();
        const { failed } = await running.stop();
        await cleanUp();
        if (failed.length > 0) throw new Error(`services did not stop cleanly: ${failed.join(', ')}`);
      },
    };
  } catch (err) {
    // running may be partly started.
    await cleanUp();
    throw err;
  }
}

/** A tenant id of this test alone. */
export function uniqueTenant(label = 'aud'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('the call succeeded, but a rejection was expected');
}

/** Polls until `check` returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
