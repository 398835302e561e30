// The ratelimit service as its callers see it: auth and policy in one stack (they verify
// credentials and decide permissions), and one or more ratelimit instances, each its own
// stack, called over HTTP with auth's bootstrap admin key. Embedded by default (PGlite,
// in-memory limiter); with `real` on a fresh Postgres database and the Redis server, under
// a key prefix of its own, or on any Redis URL given (the failure tests' own redis-server).
// Every stack of a run gets the same REDIS_URL and AEGIS_REDIS_KEY_PREFIX (or, embedded, none:
// one process), so policy's change notices reach the ratelimit instances' permission caches.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { policyService } from '@aegis/policy-service';
import { LeaseService } from '@aegis/proto/aegis/ratelimit/v1/lease_service_pb.js';
import { LimitConfigService } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { closeRedis, createLogger, createRedis, decodeEvent, startServices, TOPICS, type EventBus, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { ratelimitService } from '../../../src/definition.js';

/** Auth's bootstrap tenant, which is also the platform tenant. */
export const TENANT = 'default';

export interface RatelimitClients {
  limits: Client<typeof RateLimitService>;
  leases: Client<typeof LeaseService>;
  config: Client<typeof LimitConfigService>;
}

export interface RatelimitInstance {
  url: string;
  running: RunningServices;
  clients(credential?: string): RatelimitClients;
  /** As the admin. */
  admin: RatelimitClients;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Fresh Postgres database + the Redis server (own prefix), instead of PGlite and memory. */
  real?: boolean;
  /** A Redis URL for the ratelimit instances (overrides the shared server). */
  redisUrl?: string;
  /** Extra environment for every ratelimit instance. */
  env?: Record<string, string>;
  /** Extra environment for the auth + policy stack. */
  coreEnv?: Record<string, string>;
}

export interface RunningRatelimit {
  adminKey: string;
  authUrl: string;
  policyUrl: string;
  /** REDIS_URL and AEGIS_REDIS_KEY_PREFIX of every stack of the run (empty when embedded). */
  redisEnv: Record<string, string>;
  /** The run's Postgres database (with `real`). */
  databaseUrl?: string;
  /** The first instance. */
  admin: RatelimitClients;
  first: RatelimitInstance;
  /** Another instance on the same stores. */
  startInstance(env?: Record<string, string>): Promise<RatelimitInstance>;
  redis?: TestRedis;
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
const logger = createLogger({ service: 'ratelimit-test', level: 'silent' });

export function clientsAt(url: string, credential?: string, httpVersion: '1.1' | '2' = '1.1'): RatelimitClients {
  const transport = createConnectTransport({
    baseUrl: url,
    httpVersion,
    interceptors: credential === undefined ? [] : [(next) => (req) => {
      req.header.set('authorization', `Bearer ${credential}`);
      return next(req);
    }],
  });
  return { limits: createClient(RateLimitService, transport), leases: createClient(LeaseService, transport), config: createClient(LimitConfigService, transport) };
}

export async function startRatelimit(opts: StartOptions = {}): Promise<RunningRatelimit> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_') || name.startsWith('AEGIS_RATELIMIT_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the ratelimit service tests`);
  const dataDirs: string[] = [];
  const newDataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aegis-ratelimit-test-'));
    dataDirs.push(dir);
    return dir;
  };
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  const instances: RatelimitInstance[] = [];
  let core: RunningServices | undefined;
  let keyCleanup: (() => Promise<void>) | undefined;
  const cleanUp = async () => {
    for (const instance of instances.splice(0)) await instance.stop().catch(() => undefined);
    await core?.stop();
    await keyCleanup?.().catch(() => undefined);
    await redis?.close();
    await db?.close();
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  try {
    if (opts.real === true) {
      db = await createTestDatabase({ schema: 'ratelimit' });
      if (opts.redisUrl === undefined) redis = await createTestRedis({ name: 'ratelimit-service' });
    }
    const redisUrl = opts.redisUrl ?? redis?.url;
    // One namespace for every stack of this run, shared by them and no one else.
    const prefix = `t${randomBytes(6).toString('hex')}:`;
    const redisEnv: Record<string, string> = redisUrl !== undefined ? { REDIS_URL: redisUrl, AEGIS_REDIS_KEY_PREFIX: prefix } : {};
    if (redisUrl !== undefined) keyCleanup = () => deleteKeys(redisUrl, prefix);
    core = await startServices([authService, policyService], {
      processName: 'ratelimit-test-core',
      telemetry: false,
      logger,
      env: { AEGIS_DATA_DIR: await newDataDir(), AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', ...redisEnv, ...(db?.url !== undefined ? { DATABASE_URL: db.url } : {}), ...opts.coreEnv },
    });
    const [auth, policy] = core.services;
    const key = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
    if (key === undefined) throw new Error('auth printed no bootstrap admin key');
    const startInstance = async (env: Record<string, string> = {}): Promise<RatelimitInstance> => {
      const running = await startServices([ratelimitService], {
        processName: 'ratelimit-test',
        telemetry: false,
        logger,
        env: {
          AEGIS_DATA_DIR: await newDataDir(),
          AEGIS_RATELIMIT_PORT: '0',
          AEGIS_AUTH_URL: auth!.url,
          AEGIS_POLICY_URL: policy!.url,
          ...redisEnv,
          ...(db?.url !== undefined ? { DATABASE_URL: db.url } : {}),
          ...opts.env,
          ...env,
        },
      });
      const url = running.services[0]!.url;
      const instance: RatelimitInstance = {
        url,
        running,
        clients: (credential) => clientsAt(url, credential),
        admin: clientsAt(url, key),
        async stop() {
          const at = instances.indexOf(instance);
          if (at >= 0) instances.splice(at, 1);
          const { failed } = await running.stop();
          if (failed.length > 0) throw new Error(`ratelimit did not stop cleanly: ${failed.join(', ')}`);
        },
      };
      instances.push(instance);
      return instance;
    };
    const first = await startInstance();
    return {
      adminKey: key,
      authUrl: auth!.url,
      policyUrl: policy!.url,
      redisEnv,
      ...(db?.url !== undefined ? { databaseUrl: db.url } : {}),
      admin: first.admin,
      first,
      startInstance,
      ...(redis !== undefined ? { redis } : {}),
      stop: cleanUp,
    };
  } catch (err) {
    await cleanUp().catch(() => undefined);
    throw err;
  }
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createRedis({ url, name: 'ratelimit-test-cleanup', logger });
  try {
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      await Promise.all(batch.map((k) => client.unlink(k)));
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await closeRedis(client, 500);
  }
}

export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('the call succeeded, but a rejection was expected');
}

/** Ratelimit audit events on the instance's event bus, read from the beginning until `until` holds or `timeoutMs` passes. */
export async function ratelimitAuditEvents(events: EventBus, until: (seen: readonly Event[]) => boolean, timeoutMs = 10_000): Promise<Event[]> {
  const seen: Event[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  const handle = await events.subscribe({
    groupId: `ratelimit-audit-test-${randomBytes(4).toString('hex')}`,
    topics: [TOPICS.audit],
    fromBeginning: true,
    async handleBatch(batch) {
      for (const consumed of batch) {
        try {
          const event = decodeEvent(consumed.value);
          if (event.source === 'ratelimit' && event.payload.case === 'audit') seen.push(event);
        } catch {
          // not an envelope of ours
        }
      }
      if (until(seen)) done();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([enough, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    return seen;
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
}
