// In-process RBAC decisions per second: our engine (compilePolicySet + decide) against the
// casbin npm package's enforce() on the same RBAC model (bench/policy-workload.ts), in the
// same run, interleaved. Goal (issue 4): at least 10× casbin's enforce() rate. Both engines
// must give the same answer to every request of the mix before anything is timed.
// Run: npx tsx bench/policy-engine-vs-casbin.ts [--rounds=8 --round-ms=800 --warmup-ms=1000 --only=sync]
import { type Enforcer, newEnforcer, newModelFromString, StringAdapter } from 'casbin';
import { decide } from '../services/policy/src/domain/index.js';
import {
  compareInterleaved,
  type Contender,
  figuresTable,
  type LabelledComparison,
  ownCpuUsageUs,
  ratioTable,
  readSettings,
  writeResult,
} from './lib/index.js';
import { CASBIN_MODEL, casbinPolicy, compiledBenchSet, CUSTOM_ROLES, engineRequest, type MixEntry, PRINCIPALS, REQUESTED_PERMISSIONS, requestMix } from './policy-workload.js';

const settings = readSettings({
  rounds: 8,
  roundMs: 800,
  warmupMs: 1_000,
  /** Run only the comparisons whose id contains this (`enforce-async`, `enforce-sync`). */
  only: '',
});
if (!Number.isInteger(settings.rounds)) throw new Error('--rounds must be an integer');

const GOAL = 10;

const mix = requestMix();
const set = compiledBenchSet();
const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(casbinPolicy()));
const engineRequests = mix.map((entry) => engineRequest(entry));
const casbinArgs = mix.map((entry): [string, string, string] => [entry.principal.id, entry.kind, entry.action]);

const expectedAllows = await verifySameAnswers(mix, enforcer);
console.log(`policy-engine-vs-casbin: ${mix.length} requests (${PRINCIPALS.length} principals × ${REQUESTED_PERMISSIONS.length} permissions, ${CUSTOM_ROLES.length} custom roles), ${expectedAllows} allowed and ${mix.length - expectedAllows} denied, identical answers from both engines`);

/** Every request of the mix through both engines, casbin both ways; throws listing every disagreement. */
async function verifySameAnswers(entries: readonly MixEntry[], casbin: Enforcer): Promise<number> {
  const disagreements: string[] = [];
  let allows = 0;
  for (const entry of entries) {
    const ours = decide(set, engineRequest(entry)).allowed;
    const theirs = await casbin.enforce(entry.principal.id, entry.kind, entry.action);
    const theirsSync = casbin.enforceSync(entry.principal.id, entry.kind, entry.action);
    if (ours !== theirs || theirs !== theirsSync) {
      disagreements.push(`${entry.principal.id} [${entry.principal.roles.join(', ')}] ${entry.kind}:${entry.action}: engine ${ours}, casbin enforce ${theirs}, enforceSync ${theirsSync}`);
    }
    if (ours) allows += 1;
  }
  if (disagreements.length > 0) throw new Error(`the engines disagree on ${disagreements.length} requests; nothing timed:\n${disagreements.join('\n')}`);
  if (allows === 0 || allows === entries.length) throw new Error('the mix must hold both allows and denies');
  return allows;
}

/** One call = one pass over the whole mix; the allow count is checked so no answer can go unused or wrong. */
function checked(allows: number): void {
  if (allows !== expectedAllows) throw new Error(`a pass allowed ${allows} requests, expected ${expectedAllows}`);
}

const engine: Contender = {
  name: 'engine decide()',
  call: () => {
    let allows = 0;
    for (const request of engineRequests) if (decide(set, request).allowed) allows += 1;
    checked(allows);
    return Promise.resolve();
  },
};

const casbinEnforce: Contender = {
  name: 'casbin enforce()',
  call: async () => {
    let allows = 0;
    for (const [sub, obj, act] of casbinArgs) if (await enforcer.enforce(sub, obj, act)) allows += 1;
    checked(allows);
  },
};

const casbinEnforceSync: Contender = {
  name: 'casbin enforceSync()',
  call: () => {
    let allows = 0;
    for (const [sub, obj, act] of casbinArgs) if (enforcer.enforceSync(sub, obj, act)) allows += 1;
    checked(allows);
    return Promise.resolve();
  },
};

const plan = [
  { id: 'engine-vs-casbin-enforce-async', label: 'engine vs casbin enforce()', baseline: casbinEnforce },
  { id: 'engine-vs-casbin-enforce-sync', label: 'engine vs casbin enforceSync()', baseline: casbinEnforceSync },
].filter((step) => step.id.includes(settings.only));
if (plan.length === 0) throw new Error(`--only=${settings.only} matches none of engine-vs-casbin-enforce-async, engine-vs-casbin-enforce-sync`);
const perComparisonS = (2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000;
console.log(`${plan.length} comparisons × ~${perComparisonS.toFixed(0)} s, one pass of the mix per call, concurrency 1, in process`);

interface DecisionFigures {
  /** Decisions per second of each contender, pooled over the rounds. */
  baselineDecisionsPerSec: number;
  candidateDecisionsPerSec: number;
  /** CPU time of this process per decision (µs). */
  baselineCpuUsPerDecision: number;
  candidateCpuUsPerDecision: number;
  /** engine/casbin decisions per second: median of the rounds and their min–max. */
  speedup: { median: number; min: number; max: number };
  goal: number;
  met: boolean;
}

const comparisons: Array<LabelledComparison & { id: string; decisions: DecisionFigures }> = [];
for (const step of plan) {
  // In process: the "server" CPU is this process's, the steadiest per-call figure.
  const comparison = await compareInterleaved(step.baseline, engine, { ...settings, concurrency: 1, serverCpuUs: () => Promise.resolve(ownCpuUsageUs()) });
  const perPass = mix.length;
  const { throughput } = comparison.ratio;
  const decisions: DecisionFigures = {
    baselineDecisionsPerSec: comparison.baseline.opsPerSec * perPass,
    candidateDecisionsPerSec: comparison.candidate.opsPerSec * perPass,
    baselineCpuUsPerDecision: (comparison.baseline.server?.cpuUsPerCall ?? Number.NaN) / perPass,
    candidateCpuUsPerDecision: (comparison.candidate.server?.cpuUsPerCall ?? Number.NaN) / perPass,
    speedup: { median: throughput.median, min: throughput.min, max: throughput.max },
    goal: GOAL,
    met: throughput.median >= GOAL,
  };
  console.log(`  ${step.label}: ${Math.round(decisions.candidateDecisionsPerSec).toLocaleString('en-US')} vs ${Math.round(decisions.baselineDecisionsPerSec).toLocaleString('en-US')} decisions/s, `
    + `${throughput.median.toFixed(1)}× (${throughput.min.toFixed(1)}–${throughput.max.toFixed(1)}), goal ≥ ${GOAL}×: ${decisions.met ? 'met' : 'NOT met'}`);
  comparisons.push({ id: step.id, label: step.label, comparison, decisions });
}

console.log(`\n(one call = one pass over the ${mix.length}-request mix)\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
for (const { label, decisions } of comparisons) {
  console.log(`${label}: ${decisions.candidateCpuUsPerDecision.toFixed(3)} µs vs ${decisions.baselineCpuUsPerDecision.toFixed(2)} µs of CPU per decision`);
}
const path = writeResult('policy-engine-vs-casbin', {
  settings,
  casbinVersion: await casbinVersion(),
  workload: { requests: mix.length, allowed: expectedAllows, denied: mix.length - expectedAllows, principals: PRINCIPALS.length, permissions: REQUESTED_PERMISSIONS.length, customRoles: CUSTOM_ROLES.length },
  comparisons,
});
console.log(`written to ${path}`);

async function casbinVersion(): Promise<string> {
  const { createRequire } = await import('node:module');
  return (createRequire(import.meta.url)('casbin/package.json') as { version: string }).version;
}
