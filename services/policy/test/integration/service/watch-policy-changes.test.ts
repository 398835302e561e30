// WatchPolicyChanges and Check's cache_ttl through the running service, on the embedded
// backends and on Postgres + Redis + Kafka: the stream says `subscribed`, then the new revision
// of every tenant whose roles or policies change (the revision Check then reports), and
// heartbeats while nothing does; it needs decision:check and shows a tenant's caller only its
// own tenant. Check offers a decision for reuse unless a condition read time.* or request.*.
import { randomBytes } from 'node:crypto';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import type { WatchPolicyChangesResponse } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import {
  embeddedPolicyBackend, principal, realPolicyBackend, rejection, startPolicy, TENANT,
  type PolicyBackend, type PolicyClients, type RunningPolicy,
} from './policy-service-harness.js';

const backends: Array<[string, () => PolicyBackend]> = [
  ['embedded', embeddedPolicyBackend],
  ['Postgres + Redis + Kafka', realPolicyBackend],
];

const HEARTBEAT_MS = 200;

/** One open stream; `next` waits for the next message (fails after `timeoutMs`). */
function watch(clients: PolicyClients, tenantId = '') {
  const controller = new AbortController();
  const iterator = clients.decisions.watchPolicyChanges({ tenantId }, { signal: controller.signal, timeoutMs: 0 })[Symbol.asyncIterator]();
  return {
    async next(timeoutMs = 5_000): Promise<WatchPolicyChangesResponse> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no stream message within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        const result = await Promise.race([iterator.next(), timeout]);
        if (result.done === true) throw new Error('the stream ended');
        return result.value;
      } finally {
        clearTimeout(timer);
      }
    },
    /** The next `changed` of `tenantId`, skipping heartbeats and other tenants. */
    async changeOf(tenantId: string, timeoutMs = 5_000): Promise<bigint> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const message = await this.next(Math.max(1, deadline - Date.now()));
        if (message.event.case === 'changed' && message.event.value.tenantId === tenantId) return message.event.value.revision;
      }
    },
    close: () => controller.abort(),
  };
}

describe.each(backends)('WatchPolicyChanges and cache_ttl (%s)', (_name, backend) => {
  let service: RunningPolicy;
  const run = randomBytes(4).toString('hex');

  beforeAll(async () => {
    service = await startPolicy({ backend: backend(), env: { AEGIS_POLICY_WATCH_HEARTBEAT_MS: String(HEARTBEAT_MS), AEGIS_POLICY_DECISION_CACHE_TTL_MS: '5000' } });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
  });

  function authClients() {
    const transport = createConnectTransport({
      baseUrl: service.authUrl,
      httpVersion: '1.1',
      interceptors: [(next) => (req) => {
        req.header.set('authorization', `Bearer ${service.adminKey}`);
        return next(req);
      }],
    });
    return { users: createClient(UserService, transport), keys: createClient(ApiKeyService, transport), tenants: createClient(TenantService, transport) };
  }

  /** Policy clients with the key of a new user of `tenantId` holding `roles`. */
  async function callerWith(tenantId: string, roles: string[]): Promise<PolicyClients> {
    const { users, keys } = authClients();
    const { user } = await users.createUser({ tenantId, email: `w-${run}-${randomBytes(3).toString('hex')}@example.com`, roles });
    const { secret } = await keys.createApiKey({ tenantId, userId: user!.userId, name: `watch-${randomBytes(3).toString('hex')}` });
    return service.clients(secret);
  }

  test('subscribed, then a changed revision per role or policy change (the revision Check reports), heartbeats in between', async () => {
    const stream = watch(service.admin);
    try {
      const first = await stream.next();
      expect(first.event.case).toBe('subscribed');
      if (first.event.case !== 'subscribed') return;
      expect(first.event.value.tenantId).toBe(''); // the platform admin watches every tenant
      expect(durationMs(first.event.value.heartbeatInterval!)).toBe(HEARTBEAT_MS);
      // Changes of tenants set up at start may come first; a heartbeat follows them.
      let message = await stream.next();
      while (message.event.case === 'changed') message = await stream.next();
      expect(message.event.case).toBe('heartbeat');

      const role = `watched_${run}`;
      await service.admin.roles.createRole({ tenantId: TENANT, role: { name: role, permissions: ['report:export'] } });
      const revision = await stream.changeOf(TENANT);
      const decision = (await service.admin.decisions.check({ tenantId: TENANT, principal: principal([role]), action: 'export', resource: { kind: 'report' } })).decision!;
      expect(decision.effect).toBe(Effect.ALLOW);
      expect(decision.revision).toBe(revision);

      await service.admin.policies.createPolicy({
        tenantId: TENANT,
        policy: { name: `no_export_${run}`, condition: { 'data.locked': true } as never, actions: ['report:export'], effect: Effect.DENY, enabled: true },
      });
      expect(await stream.changeOf(TENANT)).toBeGreaterThan(revision);
    } finally {
      stream.close();
    }
  }, 30_000);

  test('Check offers cache_ttl unless a condition read the clock or the request', async () => {
    const ttlOf = async (kind: string, action: string, extra: { requestIp?: string; context?: Record<string, unknown> } = {}) => {
      const res = await service.admin.decisions.check({
        tenantId: TENANT, principal: principal(['developer']), action, resource: { kind },
        requestIp: extra.requestIp ?? '', ...(extra.context !== undefined ? { context: extra.context as never } : {}),
      });
      return res.cacheTtl === undefined ? 0 : durationMs(res.cacheTtl);
    };
    expect(await ttlOf('agent', 'create')).toBe(5_000);
    expect(await ttlOf('agent', 'delete')).toBe(5_000); // a plain deny is reusable too

    await service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: `office_hours_${run}`, condition: { 'time.business_hours': false } as never, actions: ['ledger:close'], effect: Effect.DENY, enabled: true },
    });
    await service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: `office_ip_${run}`, condition: { 'request.ip': { $in: ['10.1.1.1'] } } as never, actions: ['vault:open'], effect: Effect.ALLOW, enabled: true },
    });
    await service.admin.policies.createPolicy({
      tenantId: TENANT,
      policy: { name: `web_only_${run}`, condition: { 'request.channel': 'api' } as never, actions: ['share:send'], effect: Effect.DENY, enabled: true },
    });
    expect(await ttlOf('ledger', 'close')).toBe(0);
    expect(await ttlOf('vault', 'open', { requestIp: '10.1.1.1' })).toBe(0);
    expect(await ttlOf('vault', 'open', { requestIp: '10.9.9.9' })).toBe(0);
    expect(await ttlOf('share', 'send', { context: { channel: 'web' } })).toBe(0);
    // Other permissions are untouched by those policies.
    expect(await ttlOf('agent', 'create')).toBe(5_000);
  }, 30_000);

  test('needs decision:check; a caller of another tenant sees only its own tenant', async () => {
    const viewer = await callerWith(TENANT, ['viewer']);
    const denied = watch(viewer);
    expect((await rejection(denied.next())).code).toBe(Code.PermissionDenied);
    denied.close();

    const tenantId = `w-${run}`;
    await authClients().tenants.createTenant({ tenantId, displayName: 'Watched', adminEmail: `admin-${run}@example.com` });
    const tenantAdmin = await callerWith(tenantId, ['admin']);
    const stream = watch(tenantAdmin);
    try {
      const first = await stream.next();
      expect(first.event.case === 'subscribed' && first.event.value.tenantId).toBe(tenantId);
      await service.admin.roles.createRole({ tenantId: TENANT, role: { name: `platform_only_${run}`, permissions: ['x:y'] } });
      await service.admin.roles.createRole({ tenantId, role: { name: `own_${run}`, permissions: ['x:y'] } });
      for (;;) {
        const message = await stream.next();
        if (message.event.case === 'heartbeat') continue;
        expect(message.event.case === 'changed' && message.event.value.tenantId).toBe(tenantId);
        break;
      }
    } finally {
      stream.close();
    }
    const other = watch(tenantAdmin, TENANT);
    expect((await rejection(other.next())).code).toBe(Code.PermissionDenied);
    other.close();
  }, 30_000);
});
