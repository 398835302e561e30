// DecisionService/CheckBatch of 100 decisions per call against the same 100 decisions asked
// as 100 separate Checks (all in flight at once on the same HTTP/2 connection, the fastest way
// a caller can ask them one by one), on the same policy server (bench/policy-server.ts), in
// interleaved rounds. One call of either contender yields the same 100 decisions, so its
// ops/s × 100 is decisions per second, and its latency is the time to have all 100 answers.
// Every answer is checked against the engine's in-process answer.
// Two workloads: the principals' allowed permissions only (allows are audited at a 1% sample)
// and the whole mix (every denial is audited).
// Run: npx tsx bench/policy-check-batch.ts [--rounds=8 --round-ms=800 --concurrency=4 --batch=100 --only=allowed]
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { type CheckBatchRequest, CheckBatchRequestSchema, type CheckRequest, DecisionService } from '@aegis/proto/aegis/policy/v1/decision_service_pb.js';
import { Effect } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import {
  compareInterleaved, type Contender, figuresTable, type LabelledComparison, type RatioSpread, ratioTable, readSettings, startChildServer, writeResult,
} from './lib/index.js';
import { AUDIT_ALLOW_SAMPLE_RATE, auditCounters, authenticatedGrpcTransport, checkRequest, expectDecision, expectedEffects, installCustomRoles, principalOf, waitForAuditDrain } from './policy-grpc.js';
import type { PolicyServerInfo } from './policy-server.js';
import { BENCH_TENANT, type MixEntry, PRINCIPALS, REQUESTED_PERMISSIONS } from './policy-workload.js';

const settings = readSettings({
  rounds: 8,
  roundMs: 800,
  warmupMs: 1_000,
  /** Calls in flight: batches, or groups of `batch` Checks (so `batch` × this Checks in flight). */
  concurrency: 4,
  /** Decisions per call. */
  batch: 100,
  /** Run only the comparisons whose id contains this (`allowed`, `mix`). */
  only: '',
});
for (const name of ['rounds', 'concurrency', 'batch'] as const) {
  if (!Number.isInteger(settings[name])) throw new Error(`--${name} must be an integer`);
}
if (settings.batch > 1000) throw new Error('--batch must be at most 1000 (CheckBatch\'s limit)');

interface Batch {
  entries: MixEntry[];
  expected: Effect[];
  request: CheckBatchRequest;
  checks: CheckRequest[];
}

/**
 * One batch per principal: `size` of the workload's permissions in turn (only those the
 * principal holds when `allowedOnly`), each on its own resource. Principals holding none are left out.
 */
function batches(size: number, allowedOnly: boolean): Batch[] {
  return PRINCIPALS.flatMap((principal, k) => {
    const candidates = REQUESTED_PERMISSIONS.map((permission): MixEntry => {
      const [kind, action] = permission.split(':') as [string, string];
      return { principal, kind, action };
    });
    const effects = expectedEffects(candidates);
    const pool = allowedOnly ? candidates.filter((_, i) => effects[i] === Effect.ALLOW) : candidates;
    if (pool.length === 0) return [];
    const entries = Array.from({ length: size }, (_, j) => pool[(k * 7 + j) % pool.length]!);
    const request = create(CheckBatchRequestSchema, {
      tenantId: BENCH_TENANT,
      principal: principalOf({ principal }),
      items: entries.map((e, j) => ({ action: e.action, resource: { kind: e.kind, id: `res-${j}` } })),
    });
    const checks = entries.map((e, j) => {
      const check = checkRequest(e);
      check.resource!.id = `res-${j}`;
      return check;
    });
    return [{ entries, expected: expectedEffects(entries), request, checks }];
  });
}

interface DecisionRates {
  checksPerSec: number;
  batchPerSec: number;
  serverCpuUsPerDecision: { checks: number; batch: number };
  /** CheckBatch/Checks decisions per second: median of the rounds, min–max, per round. */
  speedup: RatioSpread;
}

const server = await startChildServer<PolicyServerInfo>(fileURLToPath(new URL('./policy-server.ts', import.meta.url)));
const bench = authenticatedGrpcTransport(server.info.url, server.info.key);
try {
  const client = createClient(DecisionService, bench.transport);
  await installCustomRoles(bench, client);
  const decisionsPerCall = settings.batch;
  const separateChecks = async (b: Batch) => {
    const answers = await Promise.all(b.checks.map((check) => client.check(check)));
    answers.forEach((answer, j) => expectDecision(answer.decision, b.entries[j]!, b.expected[j]!));
  };
  const oneBatch = async (b: Batch) => {
    const { decisions } = await client.checkBatch(b.request);
    if (decisions.length !== b.entries.length) throw new Error(`CheckBatch answered ${decisions.length} of ${b.entries.length} items`);
    decisions.forEach((decision, j) => expectDecision(decision, b.entries[j]!, b.expected[j]!));
  };
  const rotating = (name: string, work: readonly Batch[], ask: (b: Batch) => Promise<void>): Contender => {
    let next = 0;
    return {
      name,
      call: () => {
        const b = work[next]!;
        next = (next + 1) % work.length;
        return ask(b);
      },
    };
  };

  // Allowed-only first: allows are audited at a 1% sample, denials always, and the mix leaves an
  // audit backlog behind (waited for before the next comparison).
  const plan = [
    { id: 'batch-vs-checks-allowed-grpc', workload: 'allowed only', work: batches(decisionsPerCall, true) },
    { id: 'batch-vs-checks-mix-grpc', workload: 'mix', work: batches(decisionsPerCall, false) },
  ].filter((step) => step.id.includes(settings.only));
  if (plan.length === 0) throw new Error(`--only=${settings.only} matches none of batch-vs-checks-allowed-grpc, batch-vs-checks-mix-grpc`);
  const perComparisonS = (2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000;
  console.log(`policy-check-batch: ${plan.length} comparisons × ~${perComparisonS.toFixed(0)} s, ${decisionsPerCall} decisions per call, ${settings.concurrency} calls in flight, server in a child process`);

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const comparisons: Array<LabelledComparison & { id: string; workload: { batches: number; allowedShare: number }; decisions: DecisionRates; auditDrainBeforeMs: number }> = [];
  for (const { id, workload, work } of plan) {
    // Both ways once for every batch before anything is timed.
    for (const b of work) {
      await separateChecks(b);
      await oneBatch(b);
    }
    const allowed = work.reduce((n, b) => n + b.expected.filter((e) => e === Effect.ALLOW).length, 0) / (work.length * decisionsPerCall);
    const drain = await waitForAuditDrain(server.info.url);
    if (drain.waitedMs > 1_500) console.log(`  (waited ${(drain.waitedMs / 1000).toFixed(1)} s for the audit backlog${drain.drained ? ' to drain' : ', still draining'})`);
    const label = `CheckBatch(${decisionsPerCall}) vs ${decisionsPerCall} × Check, ${workload}, gRPC`;
    const comparison = await compareInterleaved(
      rotating(`${decisionsPerCall} × Check (concurrent)`, work, separateChecks),
      rotating(`CheckBatch(${decisionsPerCall})`, work, oneBatch),
      { ...settings, serverCpuUs: server.cpuUsageUs },
    );
    const decisions: DecisionRates = {
      checksPerSec: comparison.baseline.opsPerSec * decisionsPerCall,
      batchPerSec: comparison.candidate.opsPerSec * decisionsPerCall,
      serverCpuUsPerDecision: {
        checks: (comparison.baseline.server?.cpuUsPerCall ?? Number.NaN) / decisionsPerCall,
        batch: (comparison.candidate.server?.cpuUsPerCall ?? Number.NaN) / decisionsPerCall,
      },
      speedup: comparison.ratio.throughput,
    };
    console.log(`  ${label} (${work.length} batches, ${Math.round(100 * allowed)}% allowed): ${fmt(decisions.batchPerSec)} vs ${fmt(decisions.checksPerSec)} decisions/s, `
      + `${decisions.speedup.median.toFixed(2)}× (${decisions.speedup.min.toFixed(2)}–${decisions.speedup.max.toFixed(2)}); CheckBatch p50 ${fmt(comparison.candidate.latencyUs.p50)} µs, p99 ${fmt(comparison.candidate.latencyUs.p99)} µs`);
    comparisons.push({ id, label, comparison, workload: { batches: work.length, allowedShare: allowed }, decisions, auditDrainBeforeMs: drain.waitedMs });
  }
  console.log(`\n(one call = ${decisionsPerCall} decisions)\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
  for (const { label, decisions } of comparisons) {
    console.log(`${label}: server CPU per decision ${decisions.serverCpuUsPerDecision.batch.toFixed(1)} µs (CheckBatch) vs ${decisions.serverCpuUsPerDecision.checks.toFixed(1)} µs (Check)`);
  }
  const audit = await auditCounters(server.info.url);
  console.log(`server audit counters: ${JSON.stringify(audit)}`);
  const dropped = Object.entries(audit).filter(([series]) => series.startsWith('aegis_policy_audit_events_dropped')).reduce((n, [, count]) => n + count, 0);
  if (dropped > 0) {
    console.log(`the server dropped ${dropped} decision audit events (more than its limit were waiting for the embedded event log; docs/benchmarks.md, Policy); `
      + 'its shutdown may report the audit flush timing out');
  }
  console.log(`written to ${writeResult('policy-check-batch', { settings, auditAllowSampleRate: AUDIT_ALLOW_SAMPLE_RATE, audit, comparisons })}`);
} finally {
  bench.close();
  await server.stop();
}
