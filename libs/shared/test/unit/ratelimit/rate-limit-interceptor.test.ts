import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from '@connectrpc/connect';
import { PrincipalSchema } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { ErrorInfoSchema, RetryInfoSchema } from '@aegis/proto/aegis/common/v1/error_details_pb.js';
import { LimitConfigService } from '@aegis/proto/aegis/ratelimit/v1/limit_config_service_pb.js';
import { principalKey } from '../../../src/auth/index.js';
import { rateLimitInterceptor, type RateLimitChecker, type RateLimitQuery } from '../../../src/ratelimit/index.js';

const alice = create(PrincipalSchema, { tenantId: 'acme', id: 'key-1', tier: RateLimitTier.PRO });
const authenticated: Interceptor = (next) => (req) => {
  req.contextValues.set(principalKey, alice);
  return next(req);
};

function clientWith(checker: RateLimitChecker, extra: Partial<Parameters<typeof rateLimitInterceptor>[0]> = {}) {
  const transport = createRouterTransport((router) => router.service(LimitConfigService, { listTiers: () => ({}) }), {
    router: { interceptors: [authenticated, rateLimitInterceptor({ checker, ...extra })] },
  });
  return createClient(LimitConfigService, transport);
}

const verdict = (allowed: boolean, retryAfterMs = 0) => ({
  allowed,
  retryAfterMs,
  rateLimit: `"requests_per_minute";r=${allowed ? 59 : 0};t=42`,
  rateLimitPolicy: '"requests_per_minute";q=60;w=60',
  degraded: false,
});

describe('rate_limit interceptor', () => {
  it('checks the caller principal against its tier and passes the headers on', async () => {
    const seen: RateLimitQuery[] = [];
    const client = clientWith({ check: async (q) => { seen.push(q); return verdict(true); } });
    let headers: Headers | undefined;
    await client.listTiers({ tenantId: 'acme' }, { onHeader: (h) => { headers = h; } });
    expect(seen).toEqual([{ tenantId: 'acme', key: 'key-1', cost: 1, selector: { tier: RateLimitTier.PRO } }]);
    expect(headers?.get('ratelimit')).toBe('"requests_per_minute";r=59;t=42');
    expect(headers?.get('ratelimit-policy')).toBe('"requests_per_minute";q=60;w=60');
  });

  it('answers a denial with ResourceExhausted, RetryInfo, ErrorInfo RATE_LIMITED and Retry-After', async () => {
    const client = clientWith({ check: async () => verdict(false, 4_200) });
    const err = await client.listTiers({ tenantId: 'acme' }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(err?.code).toBe(Code.ResourceExhausted);
    expect(err?.metadata.get('retry-after')).toBe('5');
    expect(err?.metadata.get('ratelimit')).toBe('"requests_per_minute";r=0;t=42');
    const [retry] = err!.findDetails(RetryInfoSchema);
    expect(Number(retry!.retryDelay!.seconds) * 1000 + retry!.retryDelay!.nanos / 1e6).toBe(4_200);
    expect(err!.findDetails(ErrorInfoSchema)[0]?.reason).toBe('RATE_LIMITED');
  });

  it('uses any key function and cost, and skips calls the key function leaves out', async () => {
    const seen: RateLimitQuery[] = [];
    const client = clientWith({ check: async (q) => { seen.push(q); return verdict(true); } }, {
      key: (req) => ((req.message as unknown as { tenantId: string }).tenantId === 'skip' ? undefined : { tenantId: 'acme', key: 'shared-bucket' }),
      cost: () => 25,
      selector: () => ({ limitSet: 'llm_tokens' }),
    });
    await client.listTiers({ tenantId: 'acme' });
    await client.listTiers({ tenantId: 'skip' });
    expect(seen).toEqual([{ tenantId: 'acme', key: 'shared-bucket', cost: 25, selector: { limitSet: 'llm_tokens' } }]);
  });

  it('refuses with Unavailable when the limiter cannot be asked, unless told to let calls through', async () => {
    const failing: RateLimitChecker = { check: async () => { throw new Error('connection refused'); } };
    const err = await clientWith(failing).listTiers({ tenantId: 'acme' }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(err?.code).toBe(Code.Unavailable);
    await expect(clientWith(failing, { whenUnreachable: 'allow' }).listTiers({ tenantId: 'acme' })).resolves.toBeDefined();
  });
});
