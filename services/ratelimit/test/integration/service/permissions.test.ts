import { randomBytes } from 'node:crypto';
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { UserService } from '@aegis/proto/aegis/auth/v1/user_service_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { rejection, startRatelimit, TENANT, type RunningRatelimit } from './ratelimit-harness.js';

// Authorisation is the permission interceptor's alone (policy decides): a custom role created
// through policy's RoleService with ratelimit:check may call Check (the interim rule in the
// handlers used to refuse it), a viewer may not, and a grant changed through RoleService
// reaches ratelimit's decision cache (kept a minute here) through policy's change notices
// within a second. Embedded (one process, notices in memory) and on Postgres + Redis (every
// stack on the same REDIS_URL and key prefix, notices through Redis pub/sub).

const CACHED_FOR_A_MINUTE = { AEGIS_PERMISSION_CACHE_TTL_MS: '60s', AEGIS_PERMISSION_CACHE_DENY_TTL_MS: '60s' };
const bearer = (credential: string): Interceptor[] => [(next) => (req) => {
  req.header.set('authorization', `Bearer ${credential}`);
  return next(req);
}];

describe.each([
  { name: 'embedded', real: false },
  { name: 'Postgres + Redis', real: true },
])('ratelimit authorisation through policy ($name)', ({ real }) => {
  let rl: RunningRatelimit;
  let roles: Client<typeof RoleService>;
  let users: Client<typeof UserService>;
  let keys: Client<typeof ApiKeyService>;

  /** An API key of a new user of the platform tenant holding `userRoles`. */
  async function keyWithRoles(userRoles: string[]): Promise<string> {
    const { user } = await users.createUser({ tenantId: TENANT, email: `u-${randomBytes(4).toString('hex')}@x.test`, roles: userRoles });
    return (await keys.createApiKey({ tenantId: TENANT, userId: user!.userId, name: 'ratelimit-permissions-test' })).secret;
  }

  beforeAll(async () => {
    const leaked = Object.keys(process.env).filter((name) => name.startsWith('AEGIS_POLICY_') || name.startsWith('AEGIS_PERMISSION_'));
    if (leaked.length > 0) throw new Error(`unset ${leaked.join(', ')} to run the ratelimit permission tests`);
    rl = await startRatelimit({ real, env: CACHED_FOR_A_MINUTE });
    roles = createClient(RoleService, createConnectTransport({ baseUrl: rl.policyUrl, httpVersion: '1.1', interceptors: bearer(rl.adminKey) }));
    const auth = createConnectTransport({ baseUrl: rl.authUrl, httpVersion: '1.1', interceptors: bearer(rl.adminKey) });
    users = createClient(UserService, auth);
    keys = createClient(ApiKeyService, auth);
  });
  afterAll(() => rl?.stop());

  const check = (credential: string) => rl.first.clients(credential).limits.check({ tenantId: TENANT, key: `k-${randomBytes(4).toString('hex')}`, selector: { tier: RateLimitTier.PRO } });

  it('lets a custom role granted ratelimit:check call Check, and nothing that needs another permission', async () => {
    const role = `gateway_${randomBytes(3).toString('hex')}`;
    await roles.createRole({ tenantId: TENANT, role: { name: role, permissions: ['ratelimit:check'] } });
    const gateway = await keyWithRoles([role]);
    const answer = await check(gateway);
    expect(answer.allowed).toBe(true);
    expect(answer.limits.map((l) => l.name)).toEqual(['requests_per_minute', 'requests_per_hour', 'requests_per_day']);
    // GetRemaining and Refund need the same permission.
    const clients = rl.first.clients(gateway);
    await clients.limits.getRemaining({ tenantId: TENANT, key: 'k', selector: { tier: RateLimitTier.PRO } });
    // limit:write is another permission: refused by the interceptor, naming it.
    const write = await rejection(clients.config.setLimitOverride({ tenantId: TENANT, override: { key: 'k', tier: RateLimitTier.ENTERPRISE } }));
    expect(write.code).toBe(Code.PermissionDenied);
    expect(write.rawMessage).toMatch(/^missing permission limit:write/);
  });

  it('refuses a viewer with PermissionDenied naming ratelimit:check', async () => {
    const viewer = await keyWithRoles(['viewer']);
    const denied = await rejection(check(viewer));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.rawMessage).toBe('missing permission ratelimit:check: no role grants ratelimit:check and no policy allows it');
  });

  it('hears a grant changed through RoleService within a second, though decisions are cached for a minute', async () => {
    const role = `late_${randomBytes(3).toString('hex')}`;
    await roles.createRole({ tenantId: TENANT, role: { name: role, permissions: ['agent:read'] } });
    const caller = await keyWithRoles([role]);
    expect((await rejection(check(caller))).code).toBe(Code.PermissionDenied);

    await roles.updateRole({ tenantId: TENANT, role: { name: role, permissions: ['agent:read', 'ratelimit:check'] } });
    const changedAt = Date.now();
    const allowed = await pollUntilAllowed(() => check(caller), 2_000);
    expect(allowed.allowed).toBe(true);
    expect(Date.now() - changedAt).toBeLessThan(1_000);
  });
});

/** Calls until it succeeds (a PermissionDenied is retried), for at most `timeoutMs`. */
async function pollUntilAllowed<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (ConnectError.from(err).code !== Code.PermissionDenied || Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
