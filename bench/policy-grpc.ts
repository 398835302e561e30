// Client side of the policy gRPC benches: an API-key-authenticated gRPC transport, the custom
// roles of the workload written through RoleService (as an administrator would), and the mix's
// Check requests with the answers our engine gives in process (every answer over the wire is
// checked against them: a rate of wrong answers measures nothing).
import { create } from '@bufbuild/protobuf';
import { type Client, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { type Principal, PrincipalSchema, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { type Decision as ProtoDecision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import { type CheckRequest, CheckRequestSchema, DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { RoleService } from '@aegis/proto/aegis/policy/v1/role_service_pb.js';
import { decide, roleToProto } from '../services/policy/src/domain/index.js';
import type { BenchTransport } from './lib/index.js';
import { BENCH_TENANT, compiledBenchSet, CUSTOM_ROLES, engineRequest, type MixEntry } from './policy-workload.js';

/**
 * Share of allowed decisions the bench server audits (AEGIS_POLICY_AUDIT_ALLOW_SAMPLE_RATE), set
 * to the service's default so the figures are those of a default deployment; denials are all audited.
 */
export const AUDIT_ALLOW_SAMPLE_RATE = 0.01;

/** gRPC (binary, one HTTP/2 connection) sending `Authorization: Bearer <key>` on every call, as service callers do. */
export function authenticatedGrpcTransport(baseUrl: string, key: string): BenchTransport {
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    interceptors: [(next) => (req) => {
      req.header.set('authorization', `Bearer ${key}`);
      return next(req);
    }],
  });
  return { protocol: 'grpc', transport, close: () => sessionManager.abort() };
}

/** Creates the workload's custom roles (parents first) and waits until the policy set serving Check has them. */
export async function installCustomRoles(bench: BenchTransport, decisions: Client<typeof DecisionService>): Promise<void> {
  const roles = createClient(RoleService, bench.transport);
  for (const role of CUSTOM_ROLES) await roles.createRole({ tenantId: BENCH_TENANT, role: roleToProto(role, BENCH_TENANT) });
  // team_lead is the deepest role: once it grants team_agent:create, every custom role is in.
  const probe = checkRequest({ principal: { id: 'probe', roles: ['team_lead'] }, kind: 'team_agent', action: 'create' });
  const deadline = Date.now() + 10_000;
  while ((await decisions.check(probe)).decision?.effect !== Effect.ALLOW) {
    if (Date.now() > deadline) throw new Error('the custom roles were not serving 10 s after they were written');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function principalOf(entry: Pick<MixEntry, 'principal'>): Principal {
  const { id, roles } = entry.principal;
  return create(PrincipalSchema, { tenantId: BENCH_TENANT, type: PrincipalType.USER, id, userId: id, roles: [...roles] });
}

export function checkRequest(entry: MixEntry): CheckRequest {
  return create(CheckRequestSchema, { tenantId: BENCH_TENANT, principal: principalOf(entry), action: entry.action, resource: { kind: entry.kind } });
}

/** What our engine answers in process for each entry (the same answers casbin gives: policy-engine-vs-casbin). */
export function expectedEffects(entries: readonly MixEntry[]): Effect[] {
  const set = compiledBenchSet();
  return entries.map((entry) => (decide(set, engineRequest(entry)).allowed ? Effect.ALLOW : Effect.DENY));
}

/** Throws unless the decision over the wire is the expected one for `entry`. */
export function expectDecision(decision: ProtoDecision | undefined, entry: MixEntry, expected: Effect): void {
  if (decision === undefined || decision.effect !== expected || decision.permission !== `${entry.kind}:${entry.action}`) {
    throw new Error(`${entry.principal.id} ${entry.kind}:${entry.action}: expected ${Effect[expected]}, got ${decision === undefined ? 'no decision' : `${Effect[decision.effect]} on ${decision.permission}`}`);
  }
}

/** The server's audit counters (`aegis_policy_audit_events*` series), to show the audit ran during the bench. */
export async function auditCounters(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^(aegis_policy_audit_events[a-z_]*(?:\{[^}]*\})?) (\d+)$/gm)) out[match[1]!] = Number(match[2]);
  return out;
}

/**
 * Waits until the server's audit counters stop moving (no event stored for `quietMs`): decision
 * events are published in the background, and a backlog left by one comparison would otherwise
 * be drained on the next one's time. Resolves with how long it waited.
 */
export async function waitForAuditDrain(url: string, opts: { quietMs?: number; timeoutMs?: number } = {}): Promise<{ waitedMs: number; drained: boolean }> {
  const quietMs = opts.quietMs ?? 500;
  const started = Date.now();
  let last = JSON.stringify(await auditCounters(url));
  let lastChange = Date.now();
  while (Date.now() - lastChange < quietMs) {
    if (Date.now() - started > (opts.timeoutMs ?? 120_000)) return { waitedMs: Date.now() - started, drained: false };
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = JSON.stringify(await auditCounters(url));
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
  }
  return { waitedMs: Date.now() - started, drained: true };
}
