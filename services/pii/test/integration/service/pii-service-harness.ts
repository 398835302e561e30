// The pii service as its callers see it: started with auth and policy in one process (as under
// `npm start`), called over HTTP with auth's bootstrap admin key or keys of users holding
// chosen roles. On the embedded backends (PGlite, the embedded event log) or on Postgres, Redis
// and Kafka. Modelled on services/policy/test/integration/service/policy-service-harness.ts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { policyService } from '@aegis/policy-service';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { DlpService } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { InputValidationService } from '@aegis/proto/aegis/pii/v1/input_validation_service_pb.js';
import { PiiService } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { createLogger, decodeEvent, startServices, TOPICS, type EventBus, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { piiService } from '../../../src/definition.js';

export const TENANT = 'default';
const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

export interface PiiClients {
  pii: Client<typeof PiiService>;
  dlp: Client<typeof DlpService>;
  validation: Client<typeof InputValidationService>;
}

export interface PiiBackend {
  readonly name: string;
  env(dataDir: string): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

export function embeddedBackend(): PiiBackend {
  return { name: 'embedded (PGlite, event log)', env: async (dataDir) => ({ AEGIS_DATA_DIR: dataDir }), tearDown: async () => {} };
}

export function realBackend(): PiiBackend {
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  return {
    name: 'Postgres + Redis + Kafka',
    async env(dataDir) {
      const brokers = await requireKafka();
      redis ??= await createTestRedis({ name: 'pii-service' });
      db ??= await createTestDatabase({ schema: 'pii' });
      return { AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','), AEGIS_REDIS_KEY_PREFIX: `t${randomBytes(5).toString('hex')}:` };
    },
    async tearDown() {
      await redis?.close();
      await db?.close();
    },
  };
}

export interface RunningPii {
  adminKey: string;
  /** The pii service's base URL. */
  url: string;
  admin: PiiClients;
  events: EventBus;
  clients(credential: string): PiiClients;
  /** An API key of a new user of the test tenant whose only role grants `permissions`. */
  keyWithPermissions(permissions: string[]): Promise<string>;
  /** The same in a new tenant of its own (not the platform tenant): a tenant's caller. */
  keyInNewTenant(permissions: string[]): Promise<{ tenantId: string; key: string }>;
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

export async function startPii(backend: PiiBackend, env: Record<string, string> = {}): Promise<RunningPii> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_') || name.startsWith('AEGIS_PII_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the pii service tests`);
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-pii-test-'));
  const cleanUp = async () => {
    await backend.tearDown();
    await rm(dataDir, { recursive: true, force: true });
  };
  let running: RunningServices;
  try {
    running = await startServices([authService, policyService, piiService], {
      processName: 'pii-test',
      telemetry: false,
      logger: createLogger({ service: 'pii-test', level: 'silent' }),
      env: { ...(await backend.env(dataDir)), AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_PII_PORT: '0', ...env },
    });
  } catch (err) {
    await cleanUp();
    throw err;
  }
  const [auth, policy, pii] = running.services;
  const adminKey = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined)!;
  const clients = (credential: string): PiiClients => {
    const transport = transportAt(pii!.url, credential);
    return { pii: createClient(PiiService, transport), dlp: createClient(DlpService, transport), validation: createClient(InputValidationService, transport) };
  };
  const roles = createClient(RoleService, transportAt(policy!.url, adminKey));
  const users = createClient(UserService, transportAt(auth!.url, adminKey));
  const keys = createClient(ApiKeyService, transportAt(auth!.url, adminKey));
  const tenants = createClient(TenantService, transportAt(auth!.url, adminKey));
  const keyIn = async (tenantId: string, permissions: string[]) => {
    const role = `r_${randomBytes(4).toString('hex')}`;
    await roles.createRole({ tenantId, role: { name: role, permissions } });
    const { user } = await users.createUser({ tenantId, email: `u-${randomBytes(4).toString('hex')}@x.test`, roles: [role] });
    return (await keys.createApiKey({ tenantId, userId: user!.userId, name: 'pii-test' })).secret;
  };
  return {
    adminKey,
    url: pii!.url,
    admin: clients(adminKey),
    events: running.events,
    clients,
    async keyWithPermissions(permissions) {
      return keyIn(TENANT, permissions);
    },
    async keyInNewTenant(permissions) {
      const tenantId = `pii-${randomBytes(4).toString('hex')}`;
      await tenants.createTenant({ tenantId, displayName: tenantId, adminEmail: `admin@${tenantId}.test` });
      return { tenantId, key: await keyIn(tenantId, permissions) };
    },
    async stop() {
      const { failed } = await running.stop();
      await cleanUp();
      if (failed.length > 0) throw new Error(`services did not stop cleanly: ${failed.join(', ')}`);
    },
  };
}

export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('the call succeeded, but a rejection was expected');
}

/** Reads the audit topic from the beginning until `until` holds for the pii events seen, or the timeout. */
export async function piiAuditEvents(events: EventBus, until: (seen: readonly Event[]) => boolean, timeoutMs = 20_000): Promise<Event[]> {
  const seen: Event[] = [];
  let done: () => void = () => {};
  const enough = new Promise<void>((resolve) => (done = resolve));
  const handle = await events.subscribe({
    groupId: uniqueKafkaName('pii-audit-test'),
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
        if (event.source === 'pii' && event.payload.case === 'audit') seen.push(event);
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
