// Starting the real auth service for integration tests, and the two backend sets the
// contract suite runs against: embedded (PGlite + the embedded event log) and external
// (a fresh database on the real Postgres server + the real Kafka broker).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { createDatabase, createLogger, startServices, type RunningServices, type SqlDatabase, type StartedService } from '@aegis/shared';
import { createTestDatabase, requireKafka, type TestDatabase } from '@aegis/shared/testing';
import { authService } from '../../src/definition.js';

export interface AuthBackend {
  readonly name: string;
  /** Creates what the backend needs; throws naming the backend when it is unreachable. */
  setUp(): Promise<void>;
  /** Environment for an auth instance whose AEGIS_DATA_DIR is `dataDir`. */
  env(dataDir: string): Record<string, string>;
  tearDown(): Promise<void>;
}

export function embeddedBackend(): AuthBackend {
  return {
    name: 'PGlite + embedded event log',
    async setUp() {},
    env: (dataDir) => ({ AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0' }),
    async tearDown() {},
  };
}

export function externalBackend(): AuthBackend {
  let db: TestDatabase | undefined;
  let brokers: string[] = [];
  return {
    name: 'Postgres + Kafka',
    async setUp() {
      // Kafka first: a database created before a failed broker check would never be dropped.
      brokers = await requireKafka();
      db = await createTestDatabase({ schema: 'auth' });
    },
    env(dataDir) {
      if (db?.url === undefined) throw new Error('setUp did not create the test database');
      return { AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(',') };
    },
    async tearDown() {
      await db?.close();
    },
  };
}

export async function tempDataDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'aegis-auth-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface RunningAuth {
  readonly running: RunningServices;
  readonly service: StartedService;
  readonly client: Client<typeof ApiKeyService>;
  /** Every log line the process wrote, as JSON text. */
  readonly logLines: string[];
  /** The plaintext key from the bootstrap banner, if this start printed one. */
  readonly bannerKey: string | undefined;
  /** The auth schema of whichever database the instance uses (the same PGlite engine, or a pool). */
  openDatabase(): Promise<SqlDatabase>;
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

export async function startAuth(env: Record<string, string>): Promise<RunningAuth> {
  // Auth reads its own variables from process.env, not from `env` (see definition.ts): a
  // developer's AEGIS_AUTH_* would silently change what these tests check.
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the auth integration tests`);
  const logLines: string[] = [];
  const logger = createLogger({ service: 'auth-test', level: 'info', destination: { write: (line: string) => logLines.push(line) } });
  const running = await startServices([authService], { processName: 'auth-test', telemetry: false, env, logger });
  const service = running.services[0]!;
  const bannerKeys = service.banner.map((line) => BANNER_KEY.exec(line)?.[1]).filter((k): k is string => k !== undefined);
  if (bannerKeys.length > 1) throw new Error(`the banner shows ${bannerKeys.length} keys`);
  const transport = createConnectTransport({ baseUrl: service.url, httpVersion: '1.1' });
  const opened: SqlDatabase[] = [];
  let stopping: Promise<void> | undefined;
  return {
    running,
    service,
    client: createClient(ApiKeyService, transport),
    logLines,
    bannerKey: bannerKeys[0],
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
