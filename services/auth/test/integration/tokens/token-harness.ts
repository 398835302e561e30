import { randomBytes } from 'node:crypto';
// The tokens module's integration harness: the real auth service on either backend set, with
// Redis on the external one, plus a second tokens module in the same process (what another
// auth instance's module would be) so tests reach TokenIssuer and CredentialInvalidation, which
// no RPC exposes.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import {
  closeRedis,
  createCredentialEvents,
  createDatabase,
  createLogger,
  createRedis,
  decodeEvent,
  TOPICS,
  type CredentialEvent,
  type EventBus,
  startServices,
  type Keyring,
  type RunningServices,
  type ServiceDefinition,
  type SqlDatabase,
  type StartedService,
} from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { loadKeyring } from '../../../src/adapters/keyring-file.js';
import { Authorizer } from '../../../src/authorization.js';
import { loadAuthConfig } from '../../../src/config.js';
import { authService } from '../../../src/definition.js';
import { createTokensModule, type TokensModule } from '../../../src/tokens/module.js';

export const ISSUER = 'https://auth.aegis.test';
export const JWKS_PATH = '/.well-known/jwks.json';

export interface TokenBackend {
  readonly name: string;
  readonly redisUrl: string | undefined;
  /** The Redis namespace its services use (AEGIS_REDIS_KEY_PREFIX). */
  readonly redisKeyPrefix: string;
  /** Creates what the backend needs; throws naming the backend when it is unreachable. */
  setUp(): Promise<void>;
  env(dataDir: string): Record<string, string>;
  tearDown(): Promise<void>;
}

// Short enough for tests to see housekeeping (retired keys leave the JWKS) within a second.
// Tests play the trusted proxy: their X-Forwarded-For values give each test its own throttling source.
const TEST_ENV = { AEGIS_AUTH_PORT: '0', AEGIS_AUTH_ISSUER: ISSUER, AEGIS_AUTH_SIGNING_KEY_CHECK_INTERVAL_MS: '200', AEGIS_TRUSTED_PROXIES: '127.0.0.1,::1' };

export function embeddedTokenBackend(): TokenBackend {
  return {
    name: 'PGlite + embedded event log + in-memory store',
    redisUrl: undefined,
    redisKeyPrefix: 'aegis:',
    async setUp() {},
    env: (dataDir) => ({ ...TEST_ENV, AEGIS_DATA_DIR: dataDir }),
    async tearDown() {},
  };
}

export function externalTokenBackend(): TokenBackend & { redis(): TestRedis } {
  // Its own Redis namespace: failure counters and caches of other test files stay apart.
  const redisPrefix = `t${randomBytes(5).toString('hex')}:`;
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let brokers: string[] = [];
  return {
    name: 'Postgres + Kafka + Redis',
    redisKeyPrefix: redisPrefix,
    get redisUrl() {
      return redis?.url;
    },
    redis: () => redis!,
    async setUp() {
      // Backends that create nothing first: a database made before a failed check would never be dropped.
      brokers = await requireKafka();
      redis = await createTestRedis({ name: 'tokens-test' });
      db = await createTestDatabase({ schema: 'auth' });
    },
    env(dataDir) {
      if (db?.url === undefined || redis === undefined) throw new Error('setUp did not run');
      return { ...TEST_ENV, AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), REDIS_URL: redis.url, AEGIS_REDIS_KEY_PREFIX: redisPrefix };
    },
    async tearDown() {
      await db?.close();
      await redis?.close();
    },
  };
}

export async function tempDataDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'aegis-tokens-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface RunningTokensAuth {
  readonly running: RunningServices;
  readonly service: StartedService;
  readonly url: string;
  /** The bootstrap admin key of the first start (platform tenant "default", role admin). */
  readonly adminKey: string | undefined;
  /** A second tokens module on the same context, as another instance would run it. */
  readonly sideModule: TokensModule;
  readonly keyring: Keyring;
  readonly logLines: string[];
  tokens(credential?: string, headers?: Record<string, string>): Client<typeof TokenService>;
  openDatabase(): Promise<SqlDatabase>;
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

/** Starts auth as `npm start` would (its own authentication interceptor included), on port 0. */
export async function startTokensAuth(env: Record<string, string>): Promise<RunningTokensAuth> {
  const logLines: string[] = [];
  const logger = createLogger({ service: 'tokens-test', level: 'info', destination: { write: (line: string) => logLines.push(line) } });
  const self: { side?: TokensModule; keyring?: Keyring } = {};
  const definition: ServiceDefinition = {
    ...authService,
    async build(ctx) {
      const parts = await authService.build(ctx);
      const config = loadAuthConfig(ctx.env);
      const { keyring } = await loadKeyring(config.AEGIS_AUTH_ENCRYPTION_KEYS, ctx.config.serviceDataDir);
      const side = await createTokensModule({
        ctx, config, keyring, pepper: new Uint8Array(32), issuer: config.AEGIS_AUTH_ISSUER ?? ISSUER, authorizer: new Authorizer(config.AEGIS_AUTH_BOOTSTRAP_TENANT),
      });
      ctx.onShutdown({ name: 'side tokens module', run: () => side.close!() });
      Object.assign(self, { side, keyring });
      return parts;
    },
  };
  const running = await startServices([definition], { processName: 'tokens-test', telemetry: false, env, logger });
  const service = running.services[0]!;
  const adminKey = service.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  const opened: SqlDatabase[] = [];
  let stopping: Promise<void> | undefined;
  return {
    running,
    service,
    url: service.url,
    adminKey,
    sideModule: self.side!,
    keyring: self.keyring!,
    logLines,
    tokens: (credential, headers = {}) => createClient(TokenService, transport(service.url, credential, headers)),
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

function transport(baseUrl: string, credential: string | undefined, headers: Record<string, string>) {
  const interceptors: Interceptor[] = [(next) => (req) => {
    if (credential !== undefined) req.header.set('authorization', `Bearer ${credential}`);
    for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
    return next(req);
  }];
  return createConnectTransport({ baseUrl, httpVersion: '1.1', interceptors });
}

export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

export async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    return Code[ConnectError.from(err).code];
  }
}

/** A tenant and users inserted straight into the tables the users module owns (its RPCs are not what is tested here). */
export async function seedUsers(db: SqlDatabase, tenantId: string, users: Array<{ id: string; roles: string[]; disabled?: boolean }>): Promise<void> {
  await db.query('INSERT INTO tenants (id, display_name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING', [tenantId]);
  for (const user of users) {
    await db.query(
      'INSERT INTO users (tenant_id, id, email, display_name, roles, disabled_at) VALUES ($1, $2, $3, $2, $4, $5)',
      [tenantId, user.id, `${user.id}@${tenantId}.test`, user.roles, user.disabled === true ? new Date(Date.now() - 1000) : null],
    );
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 20 ms until it returns true; fails after `limitMs`. Returns the time it took. */
export async function within(limitMs: number, probe: () => Promise<boolean>, what: string): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    if (await probe()) return Date.now() - start;
    await sleep(20);
  }
  throw new Error(`${what}: not within ${limitMs} ms`);
}

/**
 * Reads aegis.audit.v1 from the beginning with a group of its own until `expected` events
 * matching `match` arrived (or `timeoutMs` passed); returns them with their raw bytes.
 */
export async function auditEvents(events: EventBus, match: (event: Event) => boolean, expected: number, timeoutMs = 20_000): Promise<Array<{ event: Event; bytes: Buffer }>> {
  const found: Array<{ event: Event; bytes: Buffer }> = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  const handle = await events.subscribe({
    groupId: uniqueKafkaName('tokens-audit-test'),
    topics: [TOPICS.audit],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const consumed of batch) {
        let event: Event;
        try {
          event = decodeEvent(consumed.value);
        } catch {
          continue; // other runs' events on a shared topic
        }
        if (match(event)) found.push({ event, bytes: Buffer.from(consumed.value) });
      }
      if (found.length >= expected) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([enough, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    return found;
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
}

/** Credential events as an interceptor hears them, recorded, plus the `isRevoked` they feed. */
export async function credentialEventRecorder(redisUrl: string | undefined, keyPrefix = 'aegis:'): Promise<{
  events: CredentialEvent[];
  isRevoked: (claims: { jti: string; sid?: string; sub: string; tenant: string; iat: number }) => boolean;
  close(): Promise<void>;
}> {
  // Without Redis the service publishes on the process-wide channel, which this joins.
  const channel = createCredentialEvents({ name: 'tokens-test-listener', keyPrefix, ...(redisUrl !== undefined ? { redisUrl } : {}) });
  const events: CredentialEvent[] = [];
  const unsubscribe = await channel.subscribe((event) => events.push(event));
  return {
    events,
    isRevoked: (claims) => events.some((e) =>
      (e.kind === 'access_token' && e.jti === claims.jti)
      || (e.kind === 'session' && e.tenantId === claims.tenant && e.sessionId === claims.sid)
      || (e.kind === 'user' && e.tenantId === claims.tenant && e.userId === claims.sub && claims.iat * 1000 <= e.at)),
    async close() {
      await unsubscribe();
      await channel.close();
    },
  };
}

/**
 * The runtime namespaces auth's shared store `<AEGIS_REDIS_KEY_PREFIX>auth:`; a test removes
 * the marks its tokens left there: revoked jtis, sessions and users of its database, and the
 * failure counters of the sources it used.
 */
export async function removeRedisMarks(redisUrl: string | undefined, db: SqlDatabase, sources: readonly string[] = [], keyPrefix = 'aegis:'): Promise<void> {
  if (redisUrl === undefined) return;
  const keys = [
    ...(await db.query<{ jti: string }>('SELECT jti FROM access_tokens')).rows.map((r) => `${keyPrefix}auth:revoked:jti:${r.jti}`),
    ...(await db.query<{ k: string }>(`SELECT DISTINCT tenant_id || ':' || session_id AS k FROM access_tokens WHERE session_id IS NOT NULL`)).rows.map((r) => `${keyPrefix}auth:revoked:sid:${r.k}`),
    ...(await db.query<{ k: string }>(`SELECT tenant_id || ':' || id AS k FROM users`)).rows.map((r) => `${keyPrefix}auth:revoked:user:${r.k}`),
    ...sources.map((s) => `${keyPrefix}auth:refresh-failures:${s}`),
  ];
  const redis = createRedis({ url: redisUrl, name: 'tokens-test-cleanup', logger: createLogger({ service: 'tokens-test', level: 'warn' }) });
  try {
    for (const key of keys) await redis.unlink(key);
  } finally {
    await closeRedis(redis);
  }
}
