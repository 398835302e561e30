// DecisionService/Check over gRPC against a no-op RPC on the same policy server, in
// interleaved rounds. Goal (issue 4): Check at least 0.9 of the no-op rate; p50/p99 reported.
// The no-op is NoopService/Noop, authenticated and traced like Check (bench/policy-server.ts);
// Health/Check, the unauthenticated and untraced baseline of the other service benches, is
// measured too. Check runs over the workload's whole mix (every denial is audited) and over its
// allowed requests alone (allows are audited at the default 1% sample), so the audit's share
// shows. Every call carries the bootstrap API key, as a service caller would, and every Check
// answer is checked against the engine's in-process answer for its request.
// Run: npx tsx bench/policy-check.ts [--rounds=8 --round-ms=800 --concurrency=8 --only=noop]
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { HealthCheckRequestSchema } from '@aegis/proto/grpc/health/v1/health_pb.js';
import {
  compareInterleaved, type Contender, expectServing, figuresTable, healthCheckContender, type LabelledComparison, ratioTable, readSettings,
  startChildServer, writeResult,
} from './lib/index.js';
import { AUDIT_ALLOW_SAMPLE_RATE, auditCounters, authenticatedGrpcTransport, checkRequest, expectDecision, expectedEffects, installCustomRoles, waitForAuditDrain } from './policy-grpc.js';
import type { PolicyServerInfo } from './policy-server.js';
import { requestMix } from './policy-workload.js';
import { NoopService } from './servers/noop-service.js';

const settings = readSettings({ rounds: 8, roundMs: 800, warmupMs: 1_000, concurrency: 8, only: '' });
if (!Number.isInteger(settings.rounds) || !Number.isInteger(settings.concurrency)) throw new Error('--rounds and --concurrency must be integers');
const GOAL = 0.9;

const server = await startChildServer<PolicyServerInfo>(fileURLToPath(new URL('./policy-server.ts', import.meta.url)));
const bench = authenticatedGrpcTransport(server.info.url, server.info.key);
try {
  const decisions = createClient(DecisionService, bench.transport);
  await installCustomRoles(bench, decisions);
  const mix = requestMix();
  const requests = mix.map(checkRequest);
  const expected = expectedEffects(mix);
  // The whole mix once, in order, before anything is timed.
  for (const [i, entry] of mix.entries()) expectDecision((await decisions.check(requests[i]!)).decision, entry, expected[i]!);
  const allowed = expected.filter((effect) => effect === Effect.ALLOW).length;
  console.log(`policy-check: ${mix.length} requests (${allowed} allowed, ${mix.length - allowed} denied) answered over gRPC as in process`);

  // Every denial is audited (an event on the audit topic) and allows are sampled (1% by default):
  // the allowed requests alone show the decision's own cost, the whole mix adds the audit's.
  const allowedOnly = mix.flatMap((entry, i) => (expected[i] === Effect.ALLOW ? [i] : []));
  const checkOver = (name: string, indexes: readonly number[]): Contender => {
    let next = 0;
    return {
      name,
      call: async () => {
        const i = indexes[next]!;
        next = (next + 1) % indexes.length;
        expectDecision((await decisions.check(requests[i]!)).decision, mix[i]!, expected[i]!);
      },
    };
  };
  const checkMix = checkOver(`Check, mix (${Math.round((100 * allowed) / mix.length)}% allowed)`, mix.map((_, i) => i));
  const checkAllowed = checkOver('Check, allowed requests only', allowedOnly);
  const noopClient = createClient(NoopService, bench.transport);
  const noopRequest = create(HealthCheckRequestSchema, { service: '' });
  const noop: Contender = { name: 'NoopService/Noop (authenticated, traced)', call: () => expectServing(noopClient.noop(noopRequest)) };

  // Allowed-only first: it leaves no audit backlog behind (see waitForAuditDrain).
  const plan = [
    { id: 'check-allowed-vs-noop-grpc', label: 'Check (allowed only) vs authenticated no-op, gRPC', baseline: noop, candidate: checkAllowed },
    { id: 'check-mix-vs-noop-grpc', label: 'Check (mix) vs authenticated no-op, gRPC', baseline: noop, candidate: checkMix },
    { id: 'check-mix-vs-health-grpc', label: 'Check (mix) vs Health/Check, gRPC', baseline: healthCheckContender(bench.transport), candidate: checkMix },
  ].filter((step) => step.id.includes(settings.only));
  if (plan.length === 0) throw new Error(`--only=${settings.only} matches none of ${['check-allowed-vs-noop-grpc', 'check-mix-vs-noop-grpc', 'check-mix-vs-health-grpc'].join(', ')}`);
  const perComparisonS = (2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000;
  console.log(`${plan.length} comparisons × ~${perComparisonS.toFixed(0)} s, concurrency ${settings.concurrency}, server in a child process`);

  const comparisons: Array<LabelledComparison & { id: string; auditDrainBeforeMs: number }> = [];
  for (const step of plan) {
    const drain = await waitForAuditDrain(server.info.url);
    if (drain.waitedMs > 1_500) console.log(`  (waited ${(drain.waitedMs / 1000).toFixed(1)} s for the audit backlog${drain.drained ? ' to drain' : ', still draining'})`);
    const comparison = await compareInterleaved(step.baseline, step.candidate, { ...settings, serverCpuUs: server.cpuUsageUs });
    const { throughput } = comparison.ratio;
    console.log(`  ${step.label}: ops/s ratio ${throughput.median.toFixed(3)} (${throughput.min.toFixed(3)}–${throughput.max.toFixed(3)}), `
      + `Check p50 ${Math.round(comparison.candidate.latencyUs.p50)} µs, p99 ${Math.round(comparison.candidate.latencyUs.p99)} µs`);
    comparisons.push({ id: step.id, label: step.label, comparison, auditDrainBeforeMs: drain.waitedMs });
  }
  console.log(`\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
  const goal = comparisons.filter((c) => c.id.endsWith('-vs-noop-grpc')).map(({ id, comparison }) => {
    const throughputRatio = comparison.ratio.throughput.median;
    return { id, throughputRatio, goal: GOAL, met: throughputRatio >= GOAL };
  });
  for (const g of goal) console.log(`goal (Check ≥ ${GOAL} of the no-op rate over gRPC), ${g.id}: ${g.met ? 'met' : 'NOT met'} (${g.throughputRatio.toFixed(3)})`);
  const audit = await auditCounters(server.info.url);
  console.log(`server audit counters: ${JSON.stringify(audit)}`);
  console.log(`written to ${writeResult('policy-check', { settings, workload: { requests: mix.length, allowed, auditAllowSampleRate: AUDIT_ALLOW_SAMPLE_RATE }, goal, audit, comparisons })}`);
} finally {
  bench.close();
  await server.stop();
}
