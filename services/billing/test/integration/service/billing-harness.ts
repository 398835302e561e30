// The billing service as its callers see it: started with auth and policy in one process
// (auth verifies credentials, policy decides permissions), called over HTTP with auth's
// bootstrap admin key. Embedded backends (PGlite, the embedded event log, no Redis) by
// default; a fresh Postgres database, the Redis server (own key prefix) and Kafka (own
// consumer group) with `realBillingBackend()`. Tests use tenants of their own, so the shared
// usage topic on Kafka cannot mix their numbers with other runs'.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { policyService } from '@aegis/policy-service';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { CostAlertService } from '@aegis/proto/aegis/billing/v1/alert_service_pb.js';
import { BudgetService } from '@aegis/proto/aegis/billing/v1/budget_service_pb.js';
import { EstimationService } from '@aegis/proto/aegis/billing/v1/estimation_service_pb.js';
import { PriceService } from '@aegis/proto/aegis/billing/v1/price_service_pb.js';
import { ReservationService } from '@aegis/proto/aegis/billing/v1/reservation_service_pb.js';
import { UsageService } from '@aegis/proto/aegis/billing/v1/usage_service_pb.js';
import { createLogger, startServices, type EventBus, type RunningServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName, type TestDatabase, type TestRedis } from '@aegis/shared/testing';
import { billingService } from '../../../src/definition.js';

/** Auth's bootstrap tenant, which is also the platform tenant (owner of the catalogue). */
export const PLATFORM_TENANT = 'default';

export interface BillingClients {
  prices: Client<typeof PriceService>;
  estimation: Client<typeof EstimationService>;
  usage: Client<typeof UsageService>;
  budgets: Client<typeof BudgetService>;
  reservations: Client<typeof ReservationService>;
  alerts: Client<typeof CostAlertService>;
}

export interface BillingBackend {
  readonly name: string;
  env(dataDir: string): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

export function embeddedBillingBackend(): BillingBackend {
  return { name: 'embedded (PGlite, event log, memory)', env: async (dataDir) => ({ AEGIS_DATA_DIR: dataDir }), tearDown: async () => {} };
}

export function realBillingBackend(): BillingBackend {
  const redisPrefix = `t${randomBytes(5).toString('hex')}:`;
  let db: TestDatabase | undefined;
  let redis: TestRedis | undefined;
  let brokers: string[] | undefined;
  return {
    name: 'Postgres + Redis + Kafka',
    async env(dataDir) {
      brokers ??= await requireKafka();
      redis ??= await createTestRedis({ name: 'billing-service' });
      db ??= await createTestDatabase({ schema: 'billing' });
      return {
        AEGIS_DATA_DIR: dataDir, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','), AEGIS_REDIS_KEY_PREFIX: redisPrefix,
        // A group of this run only, starting at the end of the shared topic.
        AEGIS_BILLING_CONSUMER_GROUP: uniqueKafkaName('billing-ledger-test'), AEGIS_BILLING_CONSUMER_FROM_BEGINNING: 'false',
        // aegis.tenants.v1 is one shared topic: groups of this run only, so other runs' instances cannot take its partitions.
        AEGIS_BILLING_TENANT_SETTINGS_GROUP: uniqueKafkaName('billing-tenant-settings-test'),
        AEGIS_POLICY_TENANT_SETTINGS_GROUP: uniqueKafkaName('policy-tenant-settings-test'),
      };
    },
    async tearDown() {
      await redis?.close();
      await db?.close();
    },
  };
}

export const BACKENDS: [string, () => BillingBackend][] = [
  ['embedded', embeddedBillingBackend],
  ['Postgres + Redis + Kafka', realBillingBackend],
];

export interface RunningBilling {
  admin: BillingClients;
  adminKey: string;
  url: string;
  /** Auth's URL (TenantService), same admin key. */
  authUrl: string;
  events: EventBus;
  clients(credential?: string): BillingClients;
  stop(): Promise<void>;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

export function clientsAt(url: string, credential?: string): BillingClients {
  const transport = createConnectTransport({
    baseUrl: url,
    httpVersion: '1.1',
    interceptors: credential === undefined ? [] : [(next) => (req) => {
      req.header.set('authorization', `Bearer ${credential}`);
      return next(req);
    }],
  });
  return {
    prices: createClient(PriceService, transport),
    estimation: createClient(EstimationService, transport),
    usage: createClient(UsageService, transport),
    budgets: createClient(BudgetService, transport),
    reservations: createClient(ReservationService, transport),
    alerts: createClient(CostAlertService, transport),
  };
}

export async function startBilling(opts: { backend?: BillingBackend; env?: Record<string, string> } = {}): Promise<RunningBilling> {
  const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_') || name.startsWith('AEGIS_BILLING_'));
  if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the billing service tests`);
  const backend = opts.backend ?? embeddedBillingBackend();
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-billing-test-'));
  const cleanUp = async () => {
    await backend.tearDown();
    await rm(dataDir, { recursive: true, force: true });
  };
  let running: RunningServices;
  try {
    running = await startServices([authService, policyService, billingService], {
      processName: 'billing-test',
      telemetry: false,
      logger: createLogger({ service: 'billing-test', level: process.env['BILLING_TEST_LOG'] === 'debug' ? 'warn' : 'silent' }),
      env: { ...(await backend.env(dataDir)), AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_BILLING_PORT: '0', ...opts.env },
    });
  } catch (err) {
    await cleanUp();
    throw err;
  }
  const [auth, , billing] = running.services;
  const key = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
  if (key === undefined) {
    await running.stop();
    await cleanUp();
    throw new Error('auth printed no bootstrap admin key');
  }
  return {
    admin: clientsAt(billing!.url, key),
    adminKey: key,
    url: billing!.url,
    authUrl: auth!.url,
    events: running.events,
    clients: (credential) => clientsAt(billing!.url, credential),
    async stop() {
      const { failed } = await running.stop();
      await cleanUp();
      if (failed.length > 0) throw new Error(`services did not stop cleanly: ${failed.join(', ')}`);
    },
  };
}

/**
 * An API key of a new user of `tenantId` with `roles` (the tenant is created first if it does
 * not exist), for calls made as that tenant rather than as the platform admin.
 */
export async function tenantKey(running: RunningBilling, tenantId: string, roles: string[]): Promise<string> {
  const transport = createConnectTransport({
    baseUrl: running.authUrl,
    httpVersion: '1.1',
    interceptors: [(next) => (req) => {
      req.header.set('authorization', `Bearer ${running.adminKey}`);
      return next(req);
    }],
  });
  try {
    await createClient(TenantService, transport).createTenant({ tenantId, displayName: tenantId, adminEmail: `admin@${tenantId}.test` });
  } catch (err) {
    if (ConnectError.from(err).code !== Code.AlreadyExists) throw err;
  }
  const { user } = await createClient(UserService, transport).createUser({ tenantId, email: `u-${randomBytes(4).toString('hex')}@${tenantId}.test`, roles });
  return (await createClient(ApiKeyService, transport).createApiKey({ tenantId, userId: user!.userId, name: 'billing-test' })).secret;
}

/** A tenant id of this test alone. */
export function uniqueTenant(label = 't'): string {
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
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
