// The auth service as the API-key integration tests run it: on PGlite + in-memory stores +
// the embedded log, or on a fresh Postgres database + Redis + Kafka. Callers authenticate
// with their API key (Authorization: Bearer), which auth checks through its own
// VerifyApiKey in process (definition.ts).

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import {
  createDatabase, createLogger, decodeEvent, startServices, TOPICS,
  type ConsumedEvent, type RunningServices, type SqlDatabase, type StartedService,
} from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { authService } from '../../../src/definition.js';
import type { AuthBackend } from '../auth-harness.js';

export { tempDataDir } from '../auth-harness.js';

/** Settings that make the tests' waits short; everything else is the default. */
export const FAST_SETTINGS: Record<string, string> = {
  // Tests play the trusted proxy: their X-Forwarded-For values give each test its own throttling source.
  AEGIS_TRUSTED_PROXIES: '127.0.0.1,::1',
  AEGIS_AUTH_API_KEY_LAST_USED_FLUSH_MS: '200',
  AEGIS_AUTH_API_KEY_THROTTLE_FAILURES: '5',
  AEGIS_AUTH_API_KEY_THROTTLE_WINDOW_MS: '60000',
  AEGIS_AUTH_API_KEY_THROTTLE_BLOCK_MS: '30000',
};

export function embeddedApiKeysBackend(): AuthBackend {
  return {
    name: 'PGlite + in-memory stores + embedded event log',
    async setUp() {},
    env: (dataDir) => ({ AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', ...FAST_SETTINGS }),
    async tearDown() {},
  };
}

/** A fresh Postgres database, the Redis server and the Kafka broker; fails naming whichever is down. */
export function externalApiKeysBackend(): AuthBackend & { readonly redis: () => TestRedis } {
  // Its own Redis namespace: failure counters and caches of other test files stay apart.
  const redisPrefix = `t${randomBytes(5).toString('hex')}:`;
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let brokers: string[] = [];
  // Several instances of one deployment share these (they are generated per data directory otherwise).
  const pepper = randomBytes(32).toString('base64');
  const encryptionKeys = `k1:${randomBytes(32).toString('base64')}`;
  return {
    name: 'Postgres + Redis + Kafka',
    async setUp() {
      brokers = await requireKafka();
      redis = await createTestRedis({ name: 'api-keys' });
      db = await createTestDatabase({ schema: 'auth' });
    },
    env(dataDir) {
      if (db?.url === undefined || redis === undefined) throw new Error('setUp did not create the test database and Redis');
      return {
        AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', DATABASE_URL: db.url, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','),
        AEGIS_REDIS_KEY_PREFIX: redisPrefix, AEGIS_AUTH_API_KEY_PEPPER: pepper, AEGIS_AUTH_ENCRYPTION_KEYS: encryptionKeys, ...FAST_SETTINGS,
      };
    },
    redis() {
      if (redis === undefined) throw new Error('setUp did not connect to Redis');
      return redis;
    },
    async tearDown() {
      await redis?.close();
      await db?.close();
    },
  };
}

export interface ApiKeysAuth {
  readonly running: RunningServices;
  readonly service: StartedService;
  /** The bootstrap admin key, when this start created it. */
  readonly adminKey: string | undefined;
  /** Epoch ms just before the start. */
  readonly startedAt: number;
  /** A client presenting `key` (omit for an anonymous caller: VerifyApiKey only). */
  client(key?: string, headers?: Record<string, string>): Client<typeof ApiKeyService>;
  /** Count of key-record lookups answered by `layer` (GET /metrics). */
  lookups(layer: 'local' | 'local_negative' | 'shared' | 'shared_negative' | 'database'): Promise<number>;
  openDatabase(): Promise<SqlDatabase>;
  readonly logLines: string[];
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

export async function startApiKeysAuth(env: Record<string, string>): Promise<ApiKeysAuth> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the auth integration tests`);
  const startedAt = Date.now();
  const logLines: string[] = [];
  const logger = createLogger({ service: 'api-keys-test', level: 'info', destination: { write: (line: string) => logLines.push(line) } });
  const running = await startServices([authService], { processName: 'api-keys-test', telemetry: false, env, logger });
  const service = running.services[0]!;
  const adminKey = service.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  const opened: SqlDatabase[] = [];
  let stopping: Promise<void> | undefined;
  return {
    running,
    service,
    adminKey,
    startedAt,
    logLines,
    client(key, headers = {}) {
      const withHeaders: Interceptor = (next) => async (req) => {
        if (key !== undefined) req.header.set('authorization', `Bearer ${key}`);
        for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
        return next(req);
      };
      return createClient(ApiKeyService, createConnectTransport({ baseUrl: service.url, httpVersion: '1.1', interceptors: [withHeaders] }));
    },
    async lookups(layer) {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      const match = new RegExp(`^aegis_auth_api_key_lookups_total\\{layer="${layer}"\\} (\\d+)$`, 'm').exec(text);
      return match === null ? 0 : Number(match[1]);
    },
    async openDatabase() {
      const { databaseUrl, serviceDataDir } = service.config;
      const db = databaseUrl !== undefined
        ? await createDatabase({ url: databaseUrl, schema: 'auth', poolMax: 2 })
        : await createDatabase({ dataDir: join(serviceDataDir, 'pglite'), schema: 'auth' });
      opened.push(db);
      return db;
    },
    stop() {
      stopping ??= (async () => {
        await Promise.all(opened.map((db) => db.close()));
        const { failed } = await running.stop();
        if (failed.length > 0) throw new Error(`auth did not stop cleanly: ${failed.join(', ')}`);
      })();
      return stopping;
    },
  };
}

/** A user in the tenant (the users module's RPCs are not what these tests are about). */
export async function addUser(db: SqlDatabase, tenantId: string, userId: string, roles: string[], opts: { disabled?: boolean } = {}): Promise<void> {
  await db.query(`INSERT INTO tenants (id, display_name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING`, [tenantId]);
  await db.query(
    `INSERT INTO users (tenant_id, id, display_name, roles, disabled_at) VALUES ($1, $2, $2, $3, $4)`,
    [tenantId, userId, roles, opts.disabled ? new Date() : null],
  );
}

/**
 * Reads aegis.audit.v1 from the beginning with a group of its own until `done` says it has
 * seen enough of the events `select` keeps (or the time is up), and returns them with their
 * raw bytes. Other runs' events on a shared topic pass by and are skipped.
 */
export async function auditEvents(
  running: RunningServices,
  select: (event: Event) => boolean,
  done: (events: Event[]) => boolean,
  timeoutMs = 20_000,
): Promise<Array<{ event: Event; consumed: ConsumedEvent }>> {
  const found: Array<{ event: Event; consumed: ConsumedEvent }> = [];
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const handle = await running.events.subscribe({
    groupId: uniqueKafkaName('api-keys-audit-test'),
    topics: [TOPICS.audit],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const consumed of batch) {
        let event: Event;
        try {
          event = decodeEvent(consumed.value);
        } catch {
          continue;
        }
        if (select(event)) found.push({ event, consumed });
      }
      if (done(found.map((f) => f.event))) finish();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    return found;
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
}

/** Polls `check` every few milliseconds until it holds; returns how long that took. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 10): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
