// What `guard` costs a platform request: guard around a no-op run (authenticate, decide,
// rate-limit, reserve, scan in, scan out, commit, with the Postgres, Redis and Kafka work
// behind them; in the steady state the SDK answers each from local state kept by streams and
// allowances, see docs/sdk.md) against one Health/Check round trip on the same HTTP/2
// connection, in alternating rounds of one call at a time, started at `--rate` calls/s (default
// 100; `closed` for back to back). The five services run together in ONE child process (as
// `npm start` runs them), on the real backends by default; the SDK client runs in this process.
// Run: npm run bench:guard [-- --rounds=6 --round-ms=1500 --rate=100|closed --backends=real|embedded]
// `--cpu-prof=DIR` adds a profiled phase after the measured rounds (see guard-overhead-profile.ts).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authService } from '@aegis/auth-service';
import { billingService } from '@aegis/billing-service';
import { piiService } from '@aegis/pii-service';
import { policyService } from '@aegis/policy-service';
import { ratelimitService } from '@aegis/ratelimit-service';
import type { Interceptor } from '@connectrpc/connect';
import { createAegis, createAegisClients, GUARD_PERMISSIONS, type AegisServiceName } from '@aegis/sdk';
import { BudgetEnforcement, BudgetPeriod } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { HealthCheckResponse_ServingStatus } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { createLogger, startServices } from '@aegis/shared';
import { createTestDatabase, createTestRedis, requireKafka, uniqueKafkaName } from '@aegis/shared/testing';
import { profileOnSignal, startProfiling, summariseProfile, writeProfile, type ProfileSummary } from './guard-overhead-profile.js';
import { formatTable, ownCpuUsageUs, readSettings, serveToParent, startChildServer, writeResult } from './lib/index.js';

interface PlatformInfo {
  urls: Record<AegisServiceName, string>;
  serviceKey: string;
  userKey: string;
  backends: string;
}

const BANNER_KEY = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

/** The child: all five services in this process, a platform service key, a tenant and a user of it. */
async function startPlatform(backends: string) {
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-bench-guard-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  let env: Record<string, string> = { AEGIS_DATA_DIR: dataDir };
  if (backends === 'real') {
    const brokers = await requireKafka();
    const redis = await createTestRedis({ name: 'bench-guard' });
    const db = await createTestDatabase({ schema: 'auth' });
    closers.unshift(() => redis.close(), () => db.close());
    env = {
      ...env, DATABASE_URL: db.url!, REDIS_URL: redis.url, KAFKA_BROKERS: brokers.join(','), AEGIS_REDIS_KEY_PREFIX: `b${randomBytes(5).toString('hex')}:`,
      AEGIS_BILLING_CONSUMER_GROUP: uniqueKafkaName('bench-guard-ledger'), AEGIS_BILLING_CONSUMER_FROM_BEGINNING: 'false',
      AEGIS_BILLING_TENANT_SETTINGS_GROUP: uniqueKafkaName('bench-guard-billing-tenants'),
      AEGIS_POLICY_TENANT_SETTINGS_GROUP: uniqueKafkaName('bench-guard-policy-tenants'),
    };
  }
  const running = await startServices([authService, policyService, ratelimitService, piiService, billingService], {
    processName: 'bench-guard',
    // Off by default: the figures are the guard's own work. `--telemetry=on` runs the services as
    // `npm start` does (OpenTelemetry's context manager installed, no exporter).
    telemetry: process.env.BENCH_CHILD_TELEMETRY === 'on',
    logger: createLogger({ service: 'bench-guard', level: 'silent' }),
    env: { ...env, AEGIS_AUTH_PORT: '0', AEGIS_POLICY_PORT: '0', AEGIS_RATELIMIT_PORT: '0', AEGIS_PII_PORT: '0', AEGIS_BILLING_PORT: '0' },
  });
  const [auth, policy, ratelimit, pii, billing] = running.services;
  const urls = { auth: auth!.url, policy: policy!.url, ratelimit: ratelimit!.url, pii: pii!.url, billing: billing!.url };
  const adminKey = auth!.banner.map((line) => BANNER_KEY.exec(line)?.[1]).find((k) => k !== undefined)!;
  const admin = createAegisClients({ urls, apiKey: adminKey });
  await admin.policy.roles.createRole({ tenantId: 'default', role: { name: 'aegis_guard', permissions: [...GUARD_PERMISSIONS] } });
  const { user: service } = await admin.auth.users.createUser({ tenantId: 'default', email: 'platform@bench.test', roles: ['aegis_guard'] });
  const serviceKey = (await admin.auth.apiKeys.createApiKey({ tenantId: 'default', userId: service!.userId, name: 'platform' })).secret;
  const tenantId = `bench-${randomBytes(3).toString('hex')}`;
  await admin.auth.tenants.createTenant({ tenantId, displayName: 'bench', adminEmail: `admin@${tenantId}.test` });
  await admin.policy.roles.createRole({ tenantId, role: { name: 'agent_runner', permissions: ['agent:execute'], modelAccess: ['gpt-4o'] } });
  const { user } = await admin.auth.users.createUser({ tenantId, email: `runner@${tenantId}.test`, roles: ['agent_runner'] });
  const userKey = (await admin.auth.apiKeys.createApiKey({ tenantId, userId: user!.userId, name: 'runner' })).secret;
  // A realistic tenant: a budget to hold against, and a DLP rule that redacts e-mail addresses.
  await admin.billing.budgets.createBudget({ tenantId, budget: { name: 'monthly', amountLimit: { currencyCode: 'USD', amountNanos: 1_000_000n * 1_000_000_000n }, period: BudgetPeriod.MONTH, enforcement: BudgetEnforcement.HARD } });
  await admin.pii.dlp.createDlpRule({ tenantId, rule: { name: 'redact_email', match: { case: 'piiType', value: 'email' }, action: DlpAction.REDACT, enabled: true } });
  admin.close();
  const info: PlatformInfo = { urls, serviceKey, userKey, backends: backends === 'real' ? 'Postgres + Redis + Kafka' : 'embedded (PGlite, in-memory, event log)' };
  return {
    info,
    async stop() {
      await running.stop();
      for (const close of closers) await close();
    },
  };
}

if (process.argv.includes('--serve')) {
  const profileFile = process.argv[process.argv.indexOf('--serve') + 2];
  if (profileFile !== undefined) await profileOnSignal(profileFile);
  serveToParent(() => startPlatform(process.argv[process.argv.indexOf('--serve') + 1] ?? 'real'));
} else {
  await main();
}

function percentiles(samplesUs: number[]) {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1]! };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const settings = readSettings({ rounds: 6, roundMs: 1500, warmupMs: 2000, backends: 'real', telemetry: 'off', cpuProf: '', profileMs: 6000, rate: '100' });
  if (settings.backends !== 'real' && settings.backends !== 'embedded') throw new Error('--backends must be real or embedded');
  if (settings.telemetry !== 'on' && settings.telemetry !== 'off') throw new Error('--telemetry must be on or off');
  // Calls are started at this rate (one at a time; a call that takes longer than the interval
  // is followed at once, never by a burst). The guard leaves work behind it (settling usage,
  // pii's audit of findings, the ledger), so back to back (`--rate=closed`) a fast guard
  // measures how long that backlog takes, not its own latency. 100/s is well below what the
  // services sustain here.
  const intervalMs = settings.rate === 'closed' ? 0 : 1000 / Number(settings.rate);
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new Error('--rate must be calls per second or closed');
  const profileDir = settings.cpuProf === '' ? undefined : settings.cpuProf;
  const childProfile = profileDir === undefined ? undefined : join(profileDir, 'guard-services.cpuprofile');
  if (profileDir !== undefined) {
    await mkdir(profileDir, { recursive: true });
    await rm(`${childProfile}.done`, { force: true });
    await rm(`${childProfile}.sql.json`, { force: true });
  }
  const child = await startChildServer<PlatformInfo>(fileURLToPath(import.meta.url), { args: ['--serve', settings.backends, ...(childProfile !== undefined ? [childProfile] : [])], timeoutMs: 120_000, env: { ...process.env, BENCH_CHILD_TELEMETRY: settings.telemetry } });
  const { urls, serviceKey, userKey, backends } = child.info;
  // A rate limit that never refuses, so the bench measures the Check, not a denial.
  // Client-side time of each RPC inside guard, to show where a guarded call spends its time.
  const perRpcUs = new Map<string, number[]>();
  let recordRpcs = false;
  const timing: Interceptor = (next) => async (req) => {
    const t0 = performance.now();
    try {
      return await next(req);
    } finally {
      if (recordRpcs) {
        const name = `${req.service.typeName.split('.').at(-1)}/${req.method.name}`;
        const samples = perRpcUs.get(name) ?? [];
        samples.push((performance.now() - t0) * 1000);
        perRpcUs.set(name, samples);
      }
    }
  };
  const aegis = createAegis({
    urls, apiKey: serviceKey, interceptors: [timing],
    guard: { rateLimit: { tier: 'none', limits: [{ name: 'bench', quota: 1_000_000n, window: { seconds: 1n } }] } },
  });
  const health = aegis.clients.health.auth;
  let n = 0;
  const contenders = {
    baseline: {
      name: 'Health/Check (one round trip)',
      call: async () => {
        if ((await health.check({})).status !== HealthCheckResponse_ServingStatus.SERVING) throw new Error('auth is not SERVING');
      },
    },
    candidate: {
      name: 'guard around a no-op run',
      call: async () => {
        await aegis.guard({
          credential: `Bearer ${userKey}`, action: 'execute', resource: { kind: 'agent', id: 'bench' }, model: { provider: 'openai', model: 'gpt-4o' },
          input: `request ${n++}: summarise the ticket of jane.doe@example.com`, promptTokens: 20, maxOutputTokens: 50,
        }, async () => ({ output: 'done', usage: { promptTokens: 20, completionTokens: 5 } }));
      },
    },
  };
  const runFor = async (call: () => Promise<void>, ms: number, into?: number[]) => {
    const end = performance.now() + ms;
    let next = performance.now();
    while (performance.now() < end) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const t0 = performance.now();
      await call();
      into?.push((performance.now() - t0) * 1000);
      next = t0 + intervalMs;
    }
  };
  const totalS = Math.round((2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000);
  process.stdout.write(`guard overhead: ${settings.rounds} rounds of ${settings.roundMs} ms per contender, one call at a time ${intervalMs === 0 ? 'back to back' : `at ${settings.rate} calls/s`}, services in one child process on ${backends} (about ${totalS} s)\n`);
  try {
    await runFor(contenders.baseline.call, settings.warmupMs);
    await runFor(contenders.candidate.call, settings.warmupMs);
    const samples = { baseline: [] as number[], candidate: [] as number[] };
    const cpu = { baseline: 0, candidate: 0 };
    // This process's CPU: the SDK and its Connect clients (the services are in the child).
    const clientCpu = { baseline: 0, candidate: 0 };
    const ratios: number[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? (['baseline', 'candidate'] as const) : (['candidate', 'baseline'] as const);
      const roundP50 = { baseline: 0, candidate: 0 };
      for (const which of order) {
        const into: number[] = [];
        const cpuBefore = await child.cpuUsageUs();
        const clientBefore = ownCpuUsageUs();
        recordRpcs = which === 'candidate';
        await runFor(contenders[which].call, settings.roundMs, into);
        recordRpcs = false;
        clientCpu[which] += ownCpuUsageUs() - clientBefore;
        cpu[which] += (await child.cpuUsageUs()) - cpuBefore;
        samples[which].push(...into);
        roundP50[which] = median(into);
      }
      ratios.push(roundP50.candidate / roundP50.baseline);
    }
    const profile = profileDir === undefined ? undefined : await profileGuard(profileDir, childProfile!, child.pid, contenders.candidate.call, settings.profileMs);
    const figures = {
      baseline: { name: contenders.baseline.name, latencyUs: percentiles(samples.baseline), serverCpuUsPerCall: cpu.baseline / samples.baseline.length, clientCpuUsPerCall: clientCpu.baseline / samples.baseline.length },
      candidate: { name: contenders.candidate.name, latencyUs: percentiles(samples.candidate), serverCpuUsPerCall: cpu.candidate / samples.candidate.length, clientCpuUsPerCall: clientCpu.candidate / samples.candidate.length },
    };
    const overheadP50Us = figures.candidate.latencyUs.p50;
    const result = {
      // The machine is shared: its load during the run says how much to trust absolute times.
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      settings: { ...settings, concurrency: 1, callsPerSecond: intervalMs === 0 ? 'closed loop' : Number(settings.rate), serverProcess: 'one child process, all five services', backends, transport: 'Connect over HTTP/2 (h2c), one connection per service' },
      baseline: figures.baseline,
      candidate: figures.candidate,
      // Calls per guarded call: below 1 where the SDK answered from local state (caches,
      // allowances, the local scan) and the RPC ran only now and then, in the background or not.
      rpcsInsideGuard: Object.fromEntries([...perRpcUs].map(([rpc, us]) => [rpc, { calls: us.length, perGuardedCall: Math.round((us.length / samples.candidate.length) * 1000) / 1000, p50Us: percentiles(us).p50, p95Us: percentiles(us).p95 }])),
      ratioP50: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), perRound: ratios },
      // What the SDK answered from local state over the whole run (warm-up included).
      sdkLocalState: JSON.parse(JSON.stringify({
        budgetAllowances: aegis.clients.billing.allowances?.stats(),
        rateAllowances: aegis.clients.ratelimit.allowances?.stats(),
        localScan: aegis.clients.pii.localScanner?.stats(),
      }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))) as Record<string, unknown>,
      goal: { p50Us: 2000, met: overheadP50Us < 2000 },
      ...(profile !== undefined ? { cpuProfile: profile } : {}),
    };
    const ms = (us: number) => (us / 1000).toFixed(2);
    process.stdout.write(`\n${formatTable(['contender', 'calls', 'p50 ms', 'p95 ms', 'p99 ms', 'server CPU µs/call', 'client (SDK) CPU µs/call'], [figures.baseline, figures.candidate].map((f) => [
      f.name, String(f.latencyUs.count), ms(f.latencyUs.p50), ms(f.latencyUs.p95), ms(f.latencyUs.p99), String(Math.round(f.serverCpuUsPerCall)), String(Math.round(f.clientCpuUsPerCall)),
    ]))}\n\nguard / Health/Check at p50: ${result.ratioP50.median.toFixed(1)}x (rounds ${result.ratioP50.min.toFixed(1)}-${result.ratioP50.max.toFixed(1)}x)\n`);
    process.stdout.write(`\n${formatTable(['RPC during guarded calls (client side)', 'calls', 'per guarded call', 'p50 ms', 'p95 ms'], Object.entries(result.rpcsInsideGuard).map(([rpc, f]) => [rpc, String(f.calls), f.perGuardedCall.toFixed(3), ms(f.p50Us), ms(f.p95Us)]))}\n\n`);
    process.stdout.write(`SDK local state: ${JSON.stringify(result.sdkLocalState)}\n\n`);
    if (profile !== undefined) printProfile(profile);
    process.stdout.write(`goal p50 < 2 ms: ${result.goal.met ? 'met' : 'NOT met'} (${ms(overheadP50Us)} ms)\n`);
    process.stdout.write(`wrote ${writeResult('guard-overhead', result)}\n`);
  } finally {
    await aegis.close();
    await child.stop();
  }
}

interface GuardProfile {
  guardedCalls: number;
  files: { services: string; client: string };
  services: ProfileSummary;
  client: ProfileSummary;
  /** Statements sent to Postgres per guarded call, by their first words. */
  postgresStatementsPerCall: Record<string, number>;
}

/** Runs guarded calls for `ms` with both processes under the V8 profiler, and summarises both. */
async function profileGuard(dir: string, childFile: string, childPid: number, call: () => Promise<void>, ms: number): Promise<GuardProfile> {
  process.kill(childPid, 'SIGUSR2');
  const stopOwn = await startProfiling();
  await new Promise((r) => setTimeout(r, 200));
  let calls = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await call();
    calls++;
  }
  const own = await stopOwn();
  process.kill(childPid, 'SIGUSR2');
  for (let waited = 0; !existsSync(`${childFile}.done`); waited += 100) {
    if (waited > 30_000) throw new Error(`the services' profile ${childFile} was not written`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { readFile } = await import('node:fs/promises');
  const services = JSON.parse(await readFile(childFile, 'utf8'));
  return {
    guardedCalls: calls,
    files: { services: childFile, client: writeProfile(dir, 'guard-client', own) },
    services: summariseProfile(services),
    client: summariseProfile(own),
    postgresStatementsPerCall: Object.fromEntries(Object.entries(JSON.parse(await readFile(`${childFile}.sql.json`, 'utf8')) as Record<string, number>)
      .sort((a, b) => b[1] - a[1]).map(([sql, n]) => [sql, Math.round((n / calls) * 100) / 100])),
  };
}

function printProfile(p: GuardProfile): void {
  const perCall = (selfMs: number) => String(Math.round((selfMs * 1000) / p.guardedCalls));
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  for (const [who, s] of [['services process', p.services], ['client (bench + SDK) process', p.client]] as const) {
    process.stdout.write(`\nCPU profile of the ${who}: ${s.sampledMs} ms sampled over ${p.guardedCalls} guarded calls (µs per guarded call)\n`);
    process.stdout.write(`${formatTable(['component (self)', 'µs/call', 'share'], s.byComponent.slice(0, 18).map((r) => [r.component, perCall(r.selfMs), pct(r.share)]))}\n\n`);
    process.stdout.write(`${formatTable(['component causing it (Node internals charged to their caller)', 'µs/call', 'share'], s.byCausingComponent.slice(0, 14).map((r) => [r.component, perCall(r.selfMs), pct(r.share)]))}\n\n`);
    process.stdout.write(`${formatTable(['service on the stack', 'µs/call', 'share'], s.byService.map((r) => [r.service, perCall(r.selfMs), pct(r.share)]))}\n\n`);
    process.stdout.write(`${formatTable(['top self-time function', 'component', 'service', 'µs/call', 'share'], s.topFunctions.slice(0, 20).map((r) => [r.fn.slice(0, 90), r.component, r.service, perCall(r.selfMs), pct(r.share)]))}\n`);
  }
  const sql = Object.entries(p.postgresStatementsPerCall);
  process.stdout.write(`\nPostgres statements per guarded call: ${sql.reduce((n, [, c]) => n + c, 0).toFixed(1)}\n${formatTable(['statement', 'per call'], sql.map(([s, c]) => [s, c.toFixed(2)]))}\n`);
  process.stdout.write(`\nprofiles: ${p.files.services}, ${p.files.client}\n\n`);
}
