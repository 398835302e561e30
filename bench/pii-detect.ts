// npm run bench:pii: PII detection throughput (MB/s) and per-request latency on 1 KB and 100 KB
// texts, ours (Detect's domain) beside the `redact-pii` npm package on the same text in the
// same run (both warmed up, then alternating rounds so a shared machine's drift hits both), with
// each one's recall on the labelled values; tenant patterns on RE2 over 1 MB of adversarial
// input; then Detect over gRPC against the no-op Health/Check on the same server.
// Results: bench/results/pii-detect.json.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@connectrpc/connect';
import { SyncRedactor } from 'redact-pii';
import { authService } from '@aegis/auth-service';
import { policyService } from '@aegis/policy-service';
import { PiiService } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { createLogger, startServices } from '@aegis/shared';
import { piiService } from '../services/pii/src/definition.js';
import { compilePattern, detect, EMPTY_POLICY, withRequestAdditions } from '@aegis/pii-engine';
import { generateCorpus, type LabelledDocument } from '../services/pii/eval/corpus.js';
import { healthCheckContender, readSettings, writeResult } from './lib/index.js';
import { authenticatedGrpcTransport } from './policy-grpc.js';

const settings = readSettings({ rounds: 8, roundMs: 400, warmupMs: 1000, grpcCalls: 2000 });

/** Documents joined until `bytes` long, labels shifted accordingly. */
function textOf(docs: LabelledDocument[], bytes: number): LabelledDocument {
  let text = '';
  const labels: LabelledDocument['labels'] = [];
  for (const doc of docs) {
    if (text.length >= bytes) break;
    for (const l of doc.labels) labels.push({ ...l, start: l.start + text.length, end: l.end + text.length });
    text += `${doc.text}\n`;
  }
  return { text: text.slice(0, bytes), labels: labels.filter((l) => l.end <= bytes) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Figures {
  calls: number;
  ms: number;
  /** Process CPU time (user + system, all threads) over the round: time spent waiting for a core on a loaded machine is not in it. */
  cpuMs: number;
  latencies: number[];
}

const newFigures = (): Figures => ({ calls: 0, ms: 0, cpuMs: 0, latencies: [] });

function run(fn: (text: string) => unknown, input: string, ms: number, into?: Figures): void {
  const cpuStart = process.cpuUsage();
  const until = performance.now() + ms;
  let now = performance.now();
  while (now < until) {
    const started = now;
    fn(input);
    now = performance.now();
    if (into !== undefined) {
      into.calls++;
      into.ms += now - started;
      into.latencies.push(now - started);
    }
  }
  if (into !== undefined) {
    const cpu = process.cpuUsage(cpuStart);
    into.cpuMs += (cpu.user + cpu.system) / 1000;
  }
}

/**
 * Both contenders warm up (JIT), then run in `rounds` alternating rounds (A B, B A, ...): the
 * ratio is taken within each round, so the load of a shared machine cancels out of it; the
 * spread over rounds is reported.
 */
function compare(input: string, ours: (text: string) => unknown, theirs: (text: string) => unknown) {
  run(ours, input, settings.warmupMs);
  run(theirs, input, settings.warmupMs);
  const bytes = Buffer.byteLength(input);
  const totals = { ours: newFigures(), theirs: newFigures() };
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const oursRates: number[] = [];
  const theirsRates: number[] = [];
  for (let i = 0; i < settings.rounds; i++) {
    const a = newFigures();
    const b = newFigures();
    if (i % 2 === 0) {
      run(ours, input, settings.roundMs, a);
      run(theirs, input, settings.roundMs, b);
    } else {
      run(theirs, input, settings.roundMs, b);
      run(ours, input, settings.roundMs, a);
    }
    const rate = (f: Figures) => (bytes * f.calls) / (f.ms / 1000) / 1e6;
    oursRates.push(rate(a));
    theirsRates.push(rate(b));
    ratios.push(rate(a) / rate(b));
    // The same ratio on CPU time: what each does per second of a core, less sensitive to the machine's load.
    cpuRatios.push(a.calls / a.cpuMs / (b.calls / b.cpuMs));
    for (const [total, f] of [[totals.ours, a], [totals.theirs, b]] as const) {
      total.calls += f.calls;
      total.ms += f.ms;
      total.cpuMs += f.cpuMs;
      for (const l of f.latencies) total.latencies.push(l);
    }
  }
  const summary = (name: string, f: Figures, rates: number[]) => {
    f.latencies.sort((x, y) => x - y);
    return { name, calls: f.calls, mbPerSecond: round((bytes * f.calls) / (f.ms / 1000) / 1e6), mbPerCpuSecond: round((bytes * f.calls) / (f.cpuMs / 1000) / 1e6), mbPerSecondRounds: spread(rates), p50Ms: round(percentile(f.latencies, 50)), p99Ms: round(percentile(f.latencies, 99)) };
  };
  return { ours: summary('aegis detect', totals.ours, oursRates), redactPii: summary('redact-pii SyncRedactor', totals.theirs, theirsRates), throughputRatio: spread(ratios), cpuTimeRatio: spread(cpuRatios) };
}

function spread(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: round(median), min: round(sorted[0]!), max: round(sorted[sorted.length - 1]!) };
}

/** Share of labelled values a tool removed (ours: covered by a finding; redact-pii: gone from its output). */
function recall(doc: LabelledDocument): { ours: number; redactPii: number } {
  const findings = detect(doc.text, EMPTY_POLICY);
  const redacted = new SyncRedactor().redact(doc.text);
  const ours = doc.labels.filter((l) => findings.some((f) => f.start < l.end && l.start < f.end)).length;
  const theirs = doc.labels.filter((l) => !redacted.includes(doc.text.slice(l.start, l.end))).length;
  return { ours: round(ours / doc.labels.length), redactPii: round(theirs / doc.labels.length) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// The texts measured since the first version of this bench (no person names in them; person
// detection still runs on them, it is on by default).
const corpus = generateCorpus(3000, 99, { persons: false });
const redactor = new SyncRedactor();
const sizes = { '1 KB': 1024, '100 KB': 100 * 1024 };
const inProcess = [];
for (const [label, bytes] of Object.entries(sizes)) {
  const doc = textOf(corpus, bytes);
  // Both outputs are checked on this very text before it is timed: a tool that finds nothing is fast.
  const found = recall(doc);
  const figures = compare(doc.text, (t) => detect(t, EMPTY_POLICY), (t) => redactor.redact(t));
  inProcess.push({ size: label, labelledValues: doc.labels.length, ...figures, recall: found });
  const r = figures.throughputRatio;
  const c = figures.cpuTimeRatio;
  console.log(`${label} (${doc.labels.length} labelled values): aegis ${figures.ours.mbPerSecond} MB/s (p50 ${figures.ours.p50Ms} ms), redact-pii ${figures.redactPii.mbPerSecond} MB/s (p50 ${figures.redactPii.p50Ms} ms): ${r.median}x (rounds ${r.min}-${r.max}), on CPU time ${c.median}x (rounds ${c.min}-${c.max}); recall aegis ${found.ours}, redact-pii ${found.redactPii}`);
}

// Tenant patterns run on RE2 (re2js): 1 MB of input shaped to make a backtracking engine blow
// up, against the same pattern on V8's backtracking RegExp given only about 20 characters.
const MB = 1024 * 1024;
const customCases = [
  { regex: '(a+)+$', input: (n: number) => `${'a'.repeat(n)}!` },
  { regex: '(a|aa)+$', input: (n: number) => `${'a'.repeat(n)}!` },
  { regex: '(\\w+\\s?)+$', input: (n: number) => `${'a'.repeat(n)}!` },
  // The literal "@example.com" is in the input, so RE2 cannot rule the text out before running.
  { regex: '([a-z0-9]+[.-]?)+@example\\.com', input: (n: number) => `${'a'.repeat(n)}!@example.com` },
];
const customPatterns = [];
for (const c of customCases) {
  const policy = withRequestAdditions(EMPTY_POLICY, [], [compilePattern({ name: 'tenant_pattern', regex: c.regex })]);
  const input = c.input(MB);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    detect(input, policy, { types: ['tenant_pattern'] });
    times.push(performance.now() - started);
  }
  // The backtracking engine on the same shape of input, only 20 characters long (its time grows
  // exponentially with the length: 24 characters already take seconds for some of these).
  const native = new RegExp(c.regex);
  const shortInput = c.input(20);
  const nativeStarted = performance.now();
  native.test(shortInput);
  const nativeMs = performance.now() - nativeStarted;
  const re2Ms = spread(times).median;
  customPatterns.push({ regex: c.regex, inputBytes: input.length, re2MsMedianOf3: re2Ms, backtrackingRegExpMs: round(nativeMs), backtrackingInputChars: shortInput.length });
  console.log(`custom pattern ${c.regex}: RE2 on 1 MB ${re2Ms} ms (median of 3); V8 RegExp (backtracking) on ${shortInput.length} characters ${round(nativeMs)} ms`);
}

// Detect over gRPC (auth, policy and pii in one process, API key, permission check) vs Health/Check.
const dataDir = await mkdtemp(join(tmpdir(), 'aegis-pii-bench-'));
const running = await startServices([authService, policyService, piiService], {
  processName: 'pii-bench', telemetry: false, logger: createLogger({ service: 'pii-bench', level: 'silent' }),
  env: { AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_PII_PORT: '0' },
});
const adminKey = running.services[0]!.banner.map((line) => /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/.exec(line)?.[1]).find((k) => k !== undefined)!;
const bench = authenticatedGrpcTransport(running.services[2]!.url, adminKey);
const client = createClient(PiiService, bench.transport);
const health = healthCheckContender(bench.transport);
const oneKb = textOf(corpus, 1024).text;
const detectCall = () => client.detect({ tenantId: 'default', content: { kind: { case: 'text', value: oneKb } } });
async function sequential(call: () => Promise<unknown>): Promise<{ p50Ms: number; p99Ms: number; callsPerSecond: number }> {
  for (let i = 0; i < 200; i++) await call();
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < settings.grpcCalls; i++) {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), callsPerSecond: Math.round(settings.grpcCalls / seconds) };
}
const grpc = { detect1Kb: await sequential(detectCall), healthCheck: await sequential(health.call) };
console.log(`gRPC, one caller: Detect 1 KB p50 ${grpc.detect1Kb.p50Ms} ms, p99 ${grpc.detect1Kb.p99Ms} ms; Health/Check p50 ${grpc.healthCheck.p50Ms} ms, p99 ${grpc.healthCheck.p99Ms} ms`);
bench.close();
await running.stop();
await rm(dataDir, { recursive: true, force: true });

console.log(`result: ${writeResult('pii-detect', { settings, inProcess, customPatterns, grpc })}`);
