// The policy service as its callers see it: started with auth in one process, called over HTTP
// with auth's bootstrap admin key. On the embedded backends (PGlite, the embedded event log,
// no Redis) by default; on Postgres, Redis and Kafka with `policyBackends().real`. A second
// policy instance (its own process-like stack on the same database) can join for hot-reload
// tests.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { PrincipalSchema, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { createLogger, decodeEvent, startServices, TOPICS, type EventBus, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { policyService } from '../../../src/definition.js';

/** Auth's bootstrap tenant, which is also the platform tenant. */
export const TENANT = 'default';

export interface PolicyClients {
  decisions: Client<typeof DecisionService>;
  roles: Client<typeof RoleService>;
  policies: Client<typeof PolicyService>;
}

/** Where the services keep their state. */
export interface PolicyBackend {
  readonly name: string;
  /** Whether a second instance sees the same stores (not so on the single-process embedded backend). */
  readonly multiInstance: boolean;
  /** Environment for one process of the deployment (every instance shares the stores). */
  env(dataDir: string): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

/** PGlite and the embedded event log: nothing to set up. */
export function embeddedPolicyBackend(): PolicyBackend {
  return { name: 'embedded', multiInstance: false, env: async (dataDir) => ({ AEGIS_DATA_DIR: dataDir }), tearDown: async () => {} };
}

/** A fresh Postgres database, the Redis server (own key namespace) and the Kafka broker. */
export function realPolicyBackend(): PolicyBackend {
  const redisPrefix = `t${randomBytes(5).toString('hex')}:`;
  const tenantSettingsGroup = uniqueKafkaName('policy-tenant-settings');
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let brokers: string[] | undefined;
  return {
    name: 'Postgres + Redis + Kafka',
    multiInstance: true,
    async env(dataDir) {
      brokers ??= await requireKafka();
      redis ??= await createTestRedis({ name: 'policy-service' });
      db ??= await createTestDatabase({ schema: 'policy' });
      return {
        AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','), AEGIS_REDIS_KEY_PREFIX: redisPrefix,
        // Its own consumer group: another run's policy must not apply this run's tenant settings.
        AEGIS_POLICY_TENANT_SETTINGS_GROUP: tenantSettingsGroup,
      };
    },
    async tearDown() {
      await redis?.close();
      await db?.close();
    },
  };
}

export interface StartPolicyOptions {
  backend?: PolicyBackend;
  /** Extra environment for the auth+policy process (e.g. AEGIS_POLICY_AUDIT_ALLOW_SAMPLE_RATE). */
  env?: Record<string, string>;
}

export interface RunningPolicy {
  admin: PolicyClients;
  /** The bootstrap admin API key. */
  adminKey: string;
  authUrl: string;
  policyUrl: string;
  /** The process's event bus (Kafka or the embedded log): read the audit topic from it. */
  events: EventBus;
  /** Clients sending the given credential (or none). */
  clients(credential?: string): PolicyClients;
  /** Starts another policy instance on the same stores, authenticating through this auth. */
  startPolicyInstance(): Promise<{ clients(credential?: string): PolicyClients; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

function clientsAt(url: string, credential?: string): PolicyClients {
  const transport = createConnectTransport({
    baseUrl: url,
    httpVersion: '1.1',
    interceptors: credential === undefined ? [] : [(next) => (req) => {
      req.header.set('authorization', `Bearer ${credential}`);
      return next(req);
    }],
  });
  return {
    decisions: createClient(DecisionService, transport),
    roles: createClient(RoleService, transport),
    policies: createClient(PolicyService, transport),
  };
}

export async function startPolicy(opts: StartPolicyOptions = {}): Promise<RunningPolicy> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the policy service tests`);
  const backend = opts.backend ?? embeddedPolicyBackend();
  const dataDirs: string[] = [];
  const newDataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aegis-policy-test-'));
    dataDirs.push(dir);
    return dir;
  };
  const cleanUp = async () => {
    await backend.tearDown();
    await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  };
  const logger = createLogger({ service: 'policy-test', level: 'silent' });
  let running: RunningServices;
  try {
    running = await startServices([authService, policyService], {
      processName: 'policy-test',
      telemetry: false,
      logger,
      env: { ...(await backend.env(await newDataDir())), AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', ...opts.env },
    });
  } catch (err) {
    await cleanUp();
    throw err;
  }
  const [auth, policy] = running.services;
  const key = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  if (key === undefined) {
    await running.stop();
    await cleanUp();
    throw new Error('auth printed no bootstrap admin key');
  }
  const extraInstances: RunningServices[] = [];
  return {
    admin: clientsAt(policy!.url, key),
    adminKey: key,
    authUrl: auth!.url,
    policyUrl: policy!.url,
    events: running.events,
    clients: (credential) => clientsAt(policy!.url, credential),
    async startPolicyInstance() {
      if (!backend.multiInstance) throw new Error(`the ${backend.name} backend is single-instance`);
      const instance = await startServices([policyService], {
        processName: 'policy-test-2',
        telemetry: false,
        logger,
        env: { ...(await backend.env(await newDataDir())), AEGIS_POLICY_PORT: '0', AEGIS_AUTH_URL: auth!.url, ...opts.env },
      });
      extraInstances.push(instance);
      const url = instance.services[0]!.url;
      return {
        clients: (credential) => clientsAt(url, credential),
        async stop() {
          extraInstances.splice(extraInstances.indexOf(instance), 1);
          await instance.stop();
        },
      };
    },
    async stop() {
      const failed: string[] = [];
      for (const instance of extraInstances.splice(0)) failed.push(...(await instance.stop()).failed);
      failed.push(...(await running.stop()).failed);
      await cleanUp();
      if (failed.length > 0) throw new Error(`services did not stop cleanly: ${failed.join(', ')}`);
    },
  };
}

/** A principal of the test tenant, as auth would have verified it. */
export function principal(roles: string[], extra: Omit<MessageInitShape<typeof PrincipalSchema>, '$typeName'> = {}): Principal {
  return create(PrincipalSchema, { tenantId: TENANT, id: `user-${roles.join('-')}`, userId: `user-${roles.join('-')}`, roles, ...extra });
}

export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('the call succeeded, but a rejection was expected');
}

/**
 * Reads the audit topic from the beginning (a group of its own) until `until` is satisfied by
 * the policy events seen so far, or `timeoutMs` passes; returns every policy audit event read.
 */
export async function policyAuditEvents(events: EventBus, until: (seen: readonly Event[]) => boolean, timeoutMs = 20_000): Promise<Event[]> {
  const seen: Event[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  const handle = await events.subscribe({
    groupId: uniqueKafkaName('policy-audit-test'),
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
        if (event.source === 'policy' && event.payload.case === 'audit') seen.push(event);
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
