// The decider over a transport (what the remote one runs on HTTP/2) and in process, against a
// stand-in DecisionService: the question as Check sees it, the answer mapped, failures closed.
import { Code, ConnectError, createRouterTransport, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { DecisionReason } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { DecisionService, type CheckRequest } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { requirePrincipal } from '../../../src/auth/index.js';
import { inProcessPermissionDecider, permissionDeciderOver, type PermissionDecider } from '../../../src/authz/index.js';
import { AegisError } from '../../../src/errors/index.js';
import { createLogger } from '../../../src/logging/index.js';
import { principal } from './fixtures.js';

const logger = createLogger({ service: 'test', level: 'silent' });

interface Seen {
  request: CheckRequest;
  authorization: string | null;
  caller: string | undefined;
}

function decisionService(seen: Seen[], answer: (req: CheckRequest, ctx: HandlerContext) => unknown = () => allow) {
  return (router: ConnectRouter) => router.service(DecisionService, {
    check: (request, ctx) => {
      let caller: string | undefined;
      try {
        caller = requirePrincipal(ctx).userId;
      } catch {
        caller = undefined;
      }
      seen.push({ request, authorization: ctx.requestHeader.get('authorization'), caller });
      return answer(request, ctx) as never;
    },
  });
}

const allow = {
  decision: {
    effect: Effect.ALLOW,
    permission: 'agent:execute',
    reason: DecisionReason.ROLE_PERMISSION,
    matchedRole: 'analyst',
    explanation: 'allowed: role analyst grants agent:execute',
    obligations: { allowedModels: ['gpt-4o'], resourceLimits: { maxTokensPerDay: 1000n } },
    revision: 7n,
  },
};

async function failure(call: Promise<unknown>): Promise<AegisError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof AegisError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const alice = principal({ userId: 'alice', roles: ['analyst'] });

describe('permissionDeciderOver', () => {
  test('asks Check with the permission split into resource kind and action, forwarding the credential', async () => {
    const seen: Seen[] = [];
    const decider = permissionDeciderOver(createRouterTransport(decisionService(seen)), { timeoutMs: 1_000 });
    const answer = await decider.check(
      { tenantId: 'acme', principal: alice, permission: 'agent:execute', resource: { id: 'a1', attributes: { contains_pii: true } }, context: { channel: 'api' }, requestIp: '10.1.2.3' },
      { credential: { kind: 'access_token', value: 'eyJ.x.y' } },
    );
    expect(seen).toHaveLength(1);
    const { request, authorization } = seen[0]!;
    expect(request).toMatchObject({ tenantId: 'acme', action: 'execute', requestIp: '10.1.2.3', context: { channel: 'api' } });
    expect(request.resource).toMatchObject({ kind: 'agent', id: 'a1', attributes: { contains_pii: true } });
    expect(request.principal?.userId).toBe('alice');
    expect(authorization).toBe('Bearer eyJ.x.y');
    expect(answer).toMatchObject({
      allowed: true,
      permission: 'agent:execute',
      reason: 'role_permission',
      matchedRole: 'analyst',
      policyVersion: 7n,
      explanation: 'allowed: role analyst grants agent:execute',
    });
    expect(answer.obligations?.allowedModels).toEqual(['gpt-4o']);
    expect(answer.obligations?.resourceLimits?.maxTokensPerDay).toBe(1000n);
  });

  test('a configured credential is sent when the call forwards none', async () => {
    const seen: Seen[] = [];
    const decider = permissionDeciderOver(createRouterTransport(decisionService(seen)), { timeoutMs: 1_000, credential: 'genxai_live_sdk' });
    await decider.check({ tenantId: 'acme', principal: alice, permission: 'agent:execute' });
    expect(seen[0]!.authorization).toBe('Bearer genxai_live_sdk');
  });

  test('a denial is an answer', async () => {
    const seen: Seen[] = [];
    const deny = { decision: { effect: Effect.DENY, permission: 'pii:detect', reason: DecisionReason.POLICY_DENY, matchedPolicies: ['no_pii'], explanation: 'denied by no_pii: data.contains_pii is true', revision: 3n } };
    const decider = permissionDeciderOver(createRouterTransport(decisionService(seen, () => deny)), { timeoutMs: 1_000 });
    expect(await decider.check({ tenantId: 'acme', principal: alice, permission: 'pii:detect' })).toMatchObject({
      allowed: false, reason: 'policy_deny', matchedPolicies: ['no_pii'], policyVersion: 3n,
    });
  });

  test.each([
    ['an error of the policy service', () => { throw new ConnectError('down', Code.Unavailable); }],
    ['a refusal of the forwarded credential', () => { throw new ConnectError('invalid API key', Code.Unauthenticated); }],
    ['an answer without a decision', () => ({})],
    ['an answer without an effect', () => ({ decision: { permission: 'agent:execute' } })],
    ['no answer within the deadline', () => new Promise(() => {})],
  ])('%s is Unavailable (fail closed)', async (_name, answer) => {
    const decider = permissionDeciderOver(createRouterTransport(decisionService([], answer)), { timeoutMs: 50 });
    const err = await failure(decider.check({ tenantId: 'acme', principal: alice, permission: 'agent:execute' }));
    expect(err.kind).toBe('unavailable');
  });

  test('a string that is not resource:action is a bug at the call site, not a question', async () => {
    const seen: Seen[] = [];
    const decider = permissionDeciderOver(createRouterTransport(decisionService(seen)), { timeoutMs: 1_000 });
    for (const permission of ['agent', ':read', 'agent:']) {
      expect((await failure(decider.check({ tenantId: 'acme', principal: alice, permission }))).kind).toBe('internal');
    }
    expect(seen).toEqual([]);
  });
});

describe('inProcessPermissionDecider', () => {
  test('runs the DecisionService handler with the decided principal as its caller, no credential needed', async () => {
    const seen: Seen[] = [];
    const decider: PermissionDecider = inProcessPermissionDecider(decisionService(seen), { logger });
    const answer = await decider.check({ tenantId: 'acme', principal: alice, permission: 'agent:execute' });
    expect(answer.allowed).toBe(true);
    expect(seen[0]).toMatchObject({ caller: 'alice', authorization: null });
  });

  test('a handler error is Unavailable', async () => {
    const decider = inProcessPermissionDecider(decisionService([], () => { throw new Error('boom'); }), { logger });
    expect((await failure(decider.check({ tenantId: 'acme', principal: alice, permission: 'agent:execute' }))).kind).toBe('unavailable');
  });
});
