// The permission interceptor over an in-memory transport: a stand-in for authentication puts
// the principal named by `x-test-user` on the context, an in-memory decider grants by role.
import { Code, ConnectError, createClient, createRouterTransport, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import type { Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { AuditLogService } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { PiiService } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { principalKey } from '../../../src/auth/index.js';
import {
  currentPermissionDecision,
  DecisionCache,
  permissionInterceptor,
  type DecideOptions,
  type PermissionDecider,
  type PermissionDecision,
  type PermissionQuery,
} from '../../../src/authz/index.js';
import { errorMappingInterceptor, unavailable } from '../../../src/errors/index.js';
import { createLogger } from '../../../src/logging/index.js';
import { decision, principal } from './fixtures.js';

const logger = createLogger({ service: 'test', level: 'silent' });
const PLATFORM = 'default';

const USERS: Record<string, Principal> = {
  viewer: principal({ id: 'v', userId: 'v', roles: ['viewer'] }),
  analyst: principal({ id: 'a', userId: 'a', roles: ['analyst'] }),
  platformAdmin: principal({ tenantId: PLATFORM, id: 'root', userId: 'root', roles: ['admin'] }),
  acmeAdmin: principal({ id: 'boss', userId: 'boss', roles: ['admin'] }),
};

/** Grants by role, like policy's RBAC; records every question. */
class RoleDecider implements PermissionDecider {
  grants: Record<string, string[]> = { admin: ['*'], analyst: ['pii:detect', 'audit:read'], viewer: ['agent:read'] };
  asked: Array<{ query: PermissionQuery; options: DecideOptions | undefined }> = [];
  failWith: Error | undefined;
  async check(query: PermissionQuery, options?: DecideOptions): Promise<PermissionDecision> {
    this.asked.push({ query, options });
    if (this.failWith !== undefined) throw this.failWith;
    const role = query.principal.roles.find((r) => (this.grants[r] ?? []).some((p) => p === '*' || p === query.permission));
    return role !== undefined
      ? decision(true, { permission: query.permission, matchedRole: role, explanation: `allowed: role ${role} grants ${query.permission}`, obligations: undefined })
      : decision(false, { permission: query.permission, explanation: `denied: no role grants ${query.permission} and no policy allows it` });
  }
  async close(): Promise<void> {}
}

const fakeAuthentication: Interceptor = (next) => async (req) => {
  const user = req.header.get('x-test-user');
  if (user !== null) req.contextValues.set(principalKey, USERS[user]);
  return next(req);
};

const seenDecisions: Array<PermissionDecision | undefined> = [];

function routes(router: ConnectRouter) {
  router.service(PiiService, {
    detect: (_req, ctx) => {
      seenDecisions.push(currentPermissionDecision(ctx));
      return { findings: [] };
    },
  });
  router.service(TenantService, { listTenants: () => ({ tenants: [] }), getTenant: (req) => ({ tenant: { tenantId: req.tenantId } }) });
  router.service(TokenService, { revokeToken: () => ({}) });
  router.service(ApiKeyService, { verifyApiKey: () => ({ valid: false }) });
  router.service(AuditLogService, {
    async *tailAuditEvents() {
      yield {};
    },
  });
  router.service(Health, { check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }) });
}

function setUp(decider: PermissionDecider, cache?: DecisionCache) {
  const interceptors: Interceptor[] = [
    errorMappingInterceptor(logger),
    fakeAuthentication,
    permissionInterceptor({ decider, platformTenantId: PLATFORM, ...(cache !== undefined ? { cache } : {}) }),
  ];
  const transport = createRouterTransport(routes, { router: { interceptors } });
  const as = (user?: string, extra: Record<string, string> = {}) => ({ headers: { ...(user !== undefined ? { 'x-test-user': user } : {}), ...extra } });
  return {
    as,
    pii: createClient(PiiService, transport),
    tenants: createClient(TenantService, transport),
    tokens: createClient(TokenService, transport),
    keys: createClient(ApiKeyService, transport),
    audit: createClient(AuditLogService, transport),
    health: createClient(Health, transport),
  };
}

async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of stream) n += 1;
  return n;
}

describe('permissionInterceptor', () => {
  beforeEach(() => {
    seenDecisions.length = 0;
  });

  test('public RPCs and health pass without a principal and without asking policy', async () => {
    const decider = new RoleDecider();
    const c = setUp(decider);
    expect((await c.keys.verifyApiKey({ key: 'x' })).valid).toBe(false);
    expect((await c.health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(decider.asked).toEqual([]);
  });

  test('a non-public RPC without a principal (authentication missing) is refused', async () => {
    const err = await rejection(setUp(new RoleDecider()).pii.detect({ tenantId: 'acme' }));
    expect(err.code).toBe(Code.Unauthenticated);
  });

  test('allowed: the handler runs with the decision on its context; the question is the principal\'s own tenant', async () => {
    const decider = new RoleDecider();
    const c = setUp(decider);
    await c.pii.detect({ tenantId: 'acme' }, c.as('analyst', { authorization: 'Bearer genxai_live_key' }));
    expect(seenDecisions).toHaveLength(1);
    expect(seenDecisions[0]).toMatchObject({ allowed: true, permission: 'pii:detect', matchedRole: 'analyst' });
    expect(decider.asked).toHaveLength(1);
    expect(decider.asked[0]!.query).toMatchObject({ tenantId: 'acme', permission: 'pii:detect' });
    expect(decider.asked[0]!.query.principal.userId).toBe('a');
    // Forwarded so a remote policy service knows who asks.
    expect(decider.asked[0]!.options?.credential).toEqual({ kind: 'api_key', value: 'genxai_live_key' });
  });

  test('denied: PermissionDenied naming the missing permission and why; the handler never runs', async () => {
    const c = setUp(new RoleDecider());
    const err = await rejection(c.pii.detect({ tenantId: 'acme' }, c.as('viewer')));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe('missing permission pii:detect: no role grants pii:detect and no policy allows it');
    expect(seenDecisions).toEqual([]);
  });

  test('a decider that cannot answer is Unavailable, never a pass', async () => {
    const decider = new RoleDecider();
    decider.failWith = unavailable('the permission check failed: the policy service is unavailable, retry later');
    const c = setUp(decider);
    const err = await rejection(c.pii.detect({ tenantId: 'acme' }, c.as('acmeAdmin')));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toContain('policy service is unavailable');
    expect(seenDecisions).toEqual([]);
  });

  test('tenant scope: another tenant\'s request is refused before policy is asked, unless the caller is of the platform tenant', async () => {
    const decider = new RoleDecider();
    const c = setUp(decider);
    const err = await rejection(c.pii.detect({ tenantId: 'globex' }, c.as('acmeAdmin')));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe('the caller belongs to tenant "acme", not "globex"');
    expect(decider.asked).toEqual([]);
    await c.pii.detect({ tenantId: 'globex' }, c.as('platformAdmin'));
    // Decided in the platform tenant, where the caller's roles are.
    expect(decider.asked.map((a) => a.query.tenantId)).toEqual([PLATFORM]);
  });

  test('tenant scope without a permission: any principal of the tenant passes, policy is not asked', async () => {
    const decider = new RoleDecider();
    const c = setUp(decider);
    await c.tokens.revokeToken({ tenantId: 'acme' }, c.as('viewer'));
    expect((await rejection(c.tokens.revokeToken({ tenantId: 'globex' }, c.as('viewer')))).code).toBe(Code.PermissionDenied);
    expect(decider.asked).toEqual([]);
  });

  test('an empty tenant_id means the caller\'s own tenant', async () => {
    const c = setUp(new RoleDecider());
    await c.pii.detect({}, c.as('analyst'));
    expect(seenDecisions).toHaveLength(1);
  });

  test('platform scope: only principals of the platform tenant, whatever their roles elsewhere', async () => {
    const decider = new RoleDecider();
    const c = setUp(decider);
    const err = await rejection(c.tenants.listTenants({}, c.as('acmeAdmin')));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe('ListTenants acts across tenants: only principals of the platform tenant may call it');
    expect(decider.asked).toEqual([]);
    await c.tenants.listTenants({}, c.as('platformAdmin'));
    expect(decider.asked.map((a) => [a.query.tenantId, a.query.permission])).toEqual([[PLATFORM, 'tenant:read']]);
  });

  test('streamed requests: the permission is decided and every message is held to the caller\'s tenant', async () => {
    const c = setUp(new RoleDecider());
    expect(await drain(c.audit.tailAuditEvents({ tenantId: 'acme' }, c.as('analyst')))).toBe(1);
    expect((await rejection(drain(c.audit.tailAuditEvents({ tenantId: 'globex' }, c.as('analyst'))))).code).toBe(Code.PermissionDenied);
    const denied = await rejection(drain(c.audit.tailAuditEvents({ tenantId: 'acme' }, c.as('viewer'))));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.rawMessage).toMatch(/^missing permission audit:read/);
  });

  test('with a cache, a repeated question is answered without the decider, per principal facts', async () => {
    const decider = new RoleDecider();
    const c = setUp(decider, new DecisionCache());
    await c.pii.detect({ tenantId: 'acme' }, c.as('analyst'));
    await c.pii.detect({ tenantId: 'acme' }, c.as('analyst'));
    await rejection(c.pii.detect({ tenantId: 'acme' }, c.as('viewer')));
    await rejection(c.pii.detect({ tenantId: 'acme' }, c.as('viewer')));
    expect(decider.asked.map((a) => a.query.principal.userId)).toEqual(['a', 'v']);
    expect(seenDecisions).toHaveLength(2);
  });
});
