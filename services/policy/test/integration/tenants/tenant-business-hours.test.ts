// A tenant's time zone and business hours travel from auth to policy (aegis.tenants.v1):
// auth and policy started together on the embedded backends (PGlite + embedded event log)
// and on the real ones (Postgres + Kafka), a tenant created and updated through auth's
// TenantService, and `allow finance:read if time.business_hours` decided through policy's
// DecisionService by the tenant's local time.
//
// The services decide with the real clock, so the business hours are chosen around "now":
// every weekday, three hours centred on the current local time of a zone far from UTC. The
// same hours read in UTC then exclude the current UTC time, so the decision flips with the
// zone alone, whenever the test runs.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { authService } from '@aegis/auth-service';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { PrincipalSchema } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { PolicyService } from '@aegis/proto/aegis/policy/v1/policy_service_pb.js';
import { createEvent, createLogger, EventPublisher, startServices, type RunningServices } from '@aegis/shared';
import { createTestDatabase, requireKafka, uniqueKafkaName, type TestDatabase } from '@aegis/shared/testing';
import { policyService } from '../../../src/definition.js';

interface Backend {
  name: string;
  setUp(): Promise<void>;
  env(dataDir: string): Record<string, string>;
  tearDown(): Promise<void>;
}

const embedded: Backend = {
  name: 'PGlite + embedded event log',
  async setUp() {},
  env: (dataDir) => ({ AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0' }),
  async tearDown() {},
};

function external(): Backend {
  let db: TestDatabase | undefined;
  let brokers: string[] = [];
  // aegis.tenants.v1 is a fixed, shared name: a group of this run's own keeps other runs'
  // policy instances from taking its partitions (they would store its tenants elsewhere).
  const groupId = uniqueKafkaName('policy-tenant-settings-test');
  return {
    name: 'Postgres + Kafka',
    async setUp() {
      brokers = await requireKafka();
      // One fresh database; auth and policy each migrate their own schema in it.
      db = await createTestDatabase({ schema: 'policy' });
    },
    env(dataDir) {
      if (db?.url === undefined) throw new Error('setUp did not create the test database');
      return {
        AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0',
        DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), AEGIS_POLICY_TENANT_SETTINGS_GROUP: groupId,
      };
    },
    async tearDown() {
      await db?.close();
    },
  };
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

function minuteOfDay(timeZone: string, at = Date.now()): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric' }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return part('hour') * 60 + part('minute');
}

/**
 * A zone far from UTC whose local time is at least 90 minutes from midnight, and three hours
 * around it. Kiritimati (UTC+14) is too close to midnight only between 08:30 and 11:30 UTC,
 * Kolkata (UTC+5:30) only between 17:00 and 20:00 UTC, so one of them always fits.
 */
function hoursAroundNow(): { zone: string; startMinute: number; endMinute: number } {
  for (const zone of ['Pacific/Kiritimati', 'Asia/Kolkata']) {
    const now = minuteOfDay(zone);
    if (now >= 90 && now <= 1440 - 90) return { zone, startMinute: now - 90, endMinute: now + 90 };
  }
  throw new Error('unreachable: one of the zones is always far from midnight');
}

async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  for (;;) {
    const value = await read();
    if (done(value)) return { value, elapsedMs: performance.now() - started };
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each([embedded, external()])('tenant business hours from auth to policy on $name', (backend) => {
  let dataDir: string;
  let running: RunningServices | undefined;
  let tenants: Client<typeof TenantService>;
  let decisions: Client<typeof DecisionService>;
  let policies: Client<typeof PolicyService>;
  const tenantId = `tz-${randomBytes(5).toString('hex')}`;
  const hours = hoursAroundNow();

  beforeAll(async () => {
    const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_AUTH_') || name.startsWith('AEGIS_POLICY_'));
    if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the tenant settings tests`);
    await backend.setUp();
    dataDir = await mkdtemp(join(tmpdir(), 'aegis-tenant-hours-test-'));
    running = await startServices([authService, policyService], {
      processName: 'tenant-hours-test',
      telemetry: false,
      logger: createLogger({ service: 'tenant-hours-test', level: 'silent' }),
      env: backend.env(dataDir),
    });
    const [auth, policy] = running.services;
    const key = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined);
    if (key === undefined) throw new Error('auth printed no bootstrap admin key');
    const bearer = (url: string) => createConnectTransport({
      baseUrl: url,
      httpVersion: '1.1',
      interceptors: [(next) => (req) => {
        req.header.set('authorization', `Bearer ${key}`);
        return next(req);
      }],
    });
    tenants = createClient(TenantService, bearer(auth!.url));
    decisions = createClient(DecisionService, bearer(policy!.url));
    policies = createClient(PolicyService, bearer(policy!.url));
  });

  afterAll(async () => {
    const stopped = await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await backend.tearDown();
    expect(stopped?.failed ?? []).toEqual([]);
  });

  const financeRead = () => decisions.check({
    tenantId,
    principal: create(PrincipalSchema, { tenantId, id: 'analyst-1', userId: 'analyst-1', roles: [] }),
    action: 'read',
    resource: { kind: 'finance', id: 'ledger' },
  }).then((response) => response.decision!);

  const setZone = (timeZone: string) => tenants.updateTenant({
    tenantId,
    displayName: 'Time zone test',
    timeZone,
    businessHours: { weekdays: EVERY_DAY, startMinute: hours.startMinute, endMinute: hours.endMinute },
  });

  test('the chosen hours contain the local time in the zone and exclude the same clock time in UTC', () => {
    const local = minuteOfDay(hours.zone);
    const utc = minuteOfDay('UTC');
    expect(local >= hours.startMinute && local < hours.endMinute).toBe(true);
    expect(utc >= hours.startMinute && utc < hours.endMinute).toBe(false);
  });

  test("a new tenant's time zone and business hours decide time.business_hours", async () => {
    await tenants.createTenant({
      tenantId,
      displayName: 'Time zone test',
      timeZone: hours.zone,
      businessHours: { weekdays: EVERY_DAY, startMinute: hours.startMinute, endMinute: hours.endMinute },
      adminEmail: `admin@${tenantId}.example`,
    });
    await policies.createPolicy({
      tenantId,
      policy: { name: 'finance_business_hours', condition: { 'time.business_hours': true }, actions: ['finance:read'], effect: Effect.ALLOW, enabled: true },
    });
    // Under the engine's default (Mon-Fri 09:00-17:00 UTC) the answer would depend on the day
    // and hour; with the tenant's settings it is allow. The first event may wait for the
    // consumer to join its group, hence the longer limit here only.
    const { value } = await pollUntil(financeRead, (d) => d.effect === Effect.ALLOW, 30_000, 'the tenant settings to reach policy');
    expect(value.matchedPolicies).toEqual(['finance_business_hours']);
    expect(value.explanation).toContain('time.business_hours = true');
  });

  test('tenants created without an event (the bootstrap tenant) arrive through the start-up republish', async () => {
    // Auth's bootstrap inserts the platform tenant directly; only the start-up republish puts
    // it on the topic. Its settings are the default, so they show as the revision they bumped
    // (nothing else changes the platform tenant here). On the shared Kafka topic other runs'
    // events for "default" count too; the embedded run is the strict one.
    const bootstrap = () => decisions.check({
      tenantId: 'default',
      principal: create(PrincipalSchema, { tenantId: 'default', id: 'someone', userId: 'someone', roles: [] }),
      action: 'read',
      resource: { kind: 'finance' },
    }).then((response) => response.decision!);
    const { value } = await pollUntil(bootstrap, (d) => d.revision >= 1n, 30_000, 'the bootstrap tenant settings to reach policy');
    expect(value.effect).toBe(Effect.DENY); // nothing grants anything in "default" here
  });

  test('UpdateTenant moving the zone to UTC flips the decision within 1 s, and back again', async () => {
    await setZone('UTC');
    const toUtc = await pollUntil(financeRead, (d) => d.effect === Effect.DENY, 1_000, 'the UTC zone to reach policy');
    expect(toUtc.elapsedMs).toBeLessThanOrEqual(1_000);
    expect(toUtc.value.explanation).toContain('time.business_hours = true (is false)');

    await setZone(hours.zone);
    const back = await pollUntil(financeRead, (d) => d.effect === Effect.ALLOW, 1_000, 'the tenant zone to reach policy again');
    expect(back.value.revision).toBeGreaterThan(toUtc.value.revision);
  });

  test('settings policy cannot use are skipped: the partition keeps flowing and later versions apply', async () => {
    // Auth refuses unknown zones, so this comes from elsewhere (say, a producer with a newer
    // time zone database). Its version is far ahead: had it been stored, the next real
    // update (a lower version) would be ignored and the decision would not flip.
    const publisher = new EventPublisher(running!.events);
    try {
      await publisher.publish(createEvent({
        source: 'auth', tenantId, action: 'tenant.settings_changed',
        payload: { case: 'tenantSettings', value: { tenantId, timeZone: 'Mars/Olympus_Mons', version: 1_000_000n } },
      }));
    } finally {
      await publisher.close();
    }
    await setZone('UTC');
    await pollUntil(financeRead, (d) => d.effect === Effect.DENY, 1_000, 'the update after the invalid event to reach policy');
    await setZone(hours.zone);
    await pollUntil(financeRead, (d) => d.effect === Effect.ALLOW, 1_000, 'the next update to reach policy');
  });

});
