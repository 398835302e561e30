// The limiter's Redis path against raw ioredis EVALSHA of a trivial script, on the same Redis
// and the same connection, in interleaved rounds, with the breakdown of where the difference
// goes, one call per check: raw EVALSHA of OUR script with the same key and arguments
// prepared in advance (Redis's Lua work plus the bigger command and reply),
// RedisBucketStore.apply (plus building the arguments), RateLimiter.run (plus the deadline
// guard); and the service's path as it runs, where checks issued together share one script
// call. Also the previous script (one key per window) and rate-limiter-flexible's
// RateLimiterRedis.
// Goal: RateLimiter.run with the free tier's three windows ≥ 0.8 of raw EVALSHA throughput.
//
// Redis's CPU time per call (INFO cpu) is recorded for every run. By default the bench starts
// a redis-server of its own on a free port, so that figure is this bench's alone (the
// machine's Redis is shared with test runs); --redis-url=redis://... uses another.
// Run: npx tsx bench/ratelimit-redis-path.ts [--rounds=6 --round-ms=1000 --warmup-ms=1000 --concurrency=32 --only=...]
import { randomBytes } from 'node:crypto';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { closeRedis, createRedis } from '@aegis/shared';
import { MemoryBucketStore } from '../services/ratelimit/src/adapters/memory/memory-bucket-store.js';
import { RedisBucketStore } from '../services/ratelimit/src/adapters/redis/redis-bucket-store.js';
import { BUCKET_SCRIPT } from '../services/ratelimit/src/adapters/redis/bucket-script.js';
import { bucketsKey } from '../services/ratelimit/src/adapters/redis/keys.js';
import { RateLimiter } from '../services/ratelimit/src/checks/rate-limiter.js';
import { StoreGuard } from '../services/ratelimit/src/degradation/store-guard.js';
import { bucketParams, type LimitSpec, TIER_LIMITS } from '../services/ratelimit/src/domain/index.js';
import { ownRedisServer } from '../services/ratelimit/test/support/own-redis-server.js';
import { PREVIOUS_BUCKET_SCRIPT } from './ratelimit-previous-script.js';
import { compareInterleaved, type Contender, figuresTable, type LabelledComparison, ratioTable, readSettings, writeResult } from './lib/index.js';

const settings = readSettings({ rounds: 6, roundMs: 1_000, warmupMs: 1_000, concurrency: 32, redisUrl: 'own', only: '' });
const GOAL = 0.8;
const own = settings.redisUrl === 'own' ? await ownRedisServer() : undefined;
const url = own?.url ?? settings.redisUrl;
const prefix = `aegis_bench_${randomBytes(4).toString('hex')}:`;
// As the service builds its limiter client (limiter-backend.ts), minus the tight timeout.
const client = createRedis({ url, name: 'bench-ratelimit', keyPrefix: `${prefix}ratelimit:`, commandTimeoutMs: 5_000 });
const admin = createRedis({ url, name: 'bench-ratelimit-admin' });

// Huge limits so nothing is ever denied: every call does the full read-decide-write.
const unlimited = (limits: readonly LimitSpec[]): LimitSpec[] => limits.map((l) => ({ ...l, quota: 1_000_000_000, burst: 1_000_000_000 }));
const threeWindows = unlimited(TIER_LIMITS.free);
const oneWindow = threeWindows.slice(0, 1);
const owners = Array.from({ length: 1000 }, (_, i) => ({ tenantId: 'bench', key: `k${i}` }));
let n = 0;
const nextOwner = () => owners[n++ % owners.length]!;

client.defineCommand('benchTrivial', { numberOfKeys: 1, lua: 'return 1' });
client.defineCommand('benchOurs', { lua: BUCKET_SCRIPT });
client.defineCommand('benchPrevious', { lua: PREVIOUS_BUCKET_SCRIPT });
type Raw = (...args: unknown[]) => Promise<unknown>;
const raw = client as unknown as { benchTrivial: Raw; benchOurs: Raw; benchPrevious: Raw };

/** Our script's arguments for every owner, prepared before the clock starts (as the store would build them). */
function oursArgv(limits: readonly LimitSpec[]): unknown[][] {
  const params = limits.flatMap((l) => {
    const p = bucketParams(l);
    return [String(p.unitsPerToken), String(p.refillPerMicro), String(p.capacity)];
  });
  return owners.map((o) => [1, bucketsKey(o), 1, limits.length, ...limits.map((l) => l.name), ...params, 'c', 1, 1]);
}
function previousArgv(limits: readonly LimitSpec[]): unknown[][] {
  return owners.map((o) => {
    const args: unknown[] = [limits.length, ...limits.map((l) => `rl:{${o.tenantId}:${o.key}}:${l.name}`), 'c', 1];
    for (const l of limits) {
      const p = bucketParams(l);
      args.push(p.unitsPerToken, p.refillPerMicro, p.capacity);
    }
    return args;
  });
}
const ours3 = oursArgv(threeWindows);
const ours1 = oursArgv(oneWindow);
const previous3 = previousArgv(threeWindows);

const guardOf = () => new StoreGuard({ timeoutMs: 1_000, failuresToDegrade: 3, probeIntervalMs: 500, probe: () => client.ping(), onDegraded: () => { throw new Error('degraded during the bench'); }, onRecovered: () => {} });
const guards = [guardOf(), guardOf()];
const limiterOn = (store: RedisBucketStore, guard: StoreGuard) => new RateLimiter({ store, guard, local: new MemoryBucketStore(), defaultFailureMode: 'fail_open', instances: () => 1, onDegradedDecision: () => {} });
// As the service runs it (checks issued together share a script call) and one call per check.
const store = new RedisBucketStore(client);
const unbatchedStore = new RedisBucketStore(client, { batch: false });
const limiter = limiterOn(store, guards[0]!);
const unbatchedLimiter = limiterOn(unbatchedStore, guards[1]!);
const flexible = new RateLimiterRedis({ storeClient: client, keyPrefix: 'rlflex', points: 1_000_000_000, duration: 60, useRedisPackage: false });

const c = (name: string, call: () => Promise<unknown>): Contender => ({ name, call: async () => { await call(); } });
const trivial = c('raw EVALSHA return 1', () => raw.benchTrivial('k'));
const rawOurs3 = c('raw EVALSHA of our script, 3 windows, args prepared', () => raw.benchOurs(...ours3[n++ % owners.length]!));
const rawPrevious3 = c('raw EVALSHA of the previous script, 3 windows, args prepared', () => raw.benchPrevious(...previous3[n++ % owners.length]!));
const store3 = c('RedisBucketStore.apply unbatched, 3 windows', () => unbatchedStore.apply('consume', nextOwner(), limiterLimits(threeWindows), 1));
const unbatched3 = c('RateLimiter.run unbatched, 3 windows (guarded)', () => unbatchedLimiter.run('consume', nextOwner(), threeWindows, 1));
const limiter3 = c('RateLimiter.run, 3 windows (guarded, batched)', () => limiter.run('consume', nextOwner(), threeWindows, 1));
const limiter1 = c('RateLimiter.run, 1 window (guarded, batched)', () => limiter.run('consume', nextOwner(), oneWindow, 1));
const rawOurs1 = c('raw EVALSHA of our script, 1 window, args prepared', () => raw.benchOurs(...ours1[n++ % owners.length]!));
const flexible1 = c('rate-limiter-flexible consume (1 fixed window)', () => flexible.consume(nextOwner().key, 1));

/** The store's input as the limiter hands it (params computed once per definition). */
const bucketLimits = new Map<readonly LimitSpec[], { name: string; params: ReturnType<typeof bucketParams> }[]>();
function limiterLimits(limits: readonly LimitSpec[]) {
  let out = bucketLimits.get(limits);
  if (out === undefined) bucketLimits.set(limits, (out = limits.map((l) => ({ name: l.name, params: bucketParams(l) }))));
  return out;
}

const plan = [
  { id: 'limiter-3-windows-vs-raw', label: 'GOAL: RateLimiter.run 3 windows vs raw EVALSHA return 1', baseline: trivial, candidate: limiter3 },
  { id: 'unbatched-3-windows-vs-raw', label: 'RateLimiter.run unbatched (one call per check) vs return 1', baseline: trivial, candidate: unbatched3 },
  { id: 'lua-3-windows-vs-raw', label: 'our script, args prepared, one call per check vs return 1: Lua + bigger command', baseline: trivial, candidate: rawOurs3 },
  { id: 'store-vs-lua-3-windows', label: 'RedisBucketStore.apply unbatched vs our script args prepared: store JS', baseline: rawOurs3, candidate: store3 },
  { id: 'limiter-vs-store-3-windows', label: 'RateLimiter.run vs RedisBucketStore.apply, unbatched: limiter + guard JS', baseline: store3, candidate: unbatched3 },
  { id: 'lua-3-windows-vs-previous', label: 'our script vs the previous script (one call per check, args prepared)', baseline: rawPrevious3, candidate: rawOurs3 },
  { id: 'limiter-1-window-vs-raw', label: 'RateLimiter.run 1 window vs raw EVALSHA return 1', baseline: trivial, candidate: limiter1 },
  { id: 'lua-1-window-vs-raw', label: 'our script 1 window (args prepared, one call per check) vs return 1', baseline: trivial, candidate: rawOurs1 },
  { id: 'limiter-1-window-vs-rate-limiter-flexible', label: 'RateLimiter.run 1 window (token bucket) vs rate-limiter-flexible (fixed window)', baseline: flexible1, candidate: limiter1 },
];

async function redisCpuUs(): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

const comparisons: Array<LabelledComparison & { id: string }> = [];
try {
  const selected = plan.filter((step) => step.id.includes(settings.only));
  if (selected.length === 0) throw new Error(`--only=${settings.only} matches none of ${plan.map((s) => s.id).join(', ')}`);
  console.log(`ratelimit-redis-path: ${selected.length} comparisons, concurrency ${settings.concurrency}, Redis ${own !== undefined ? `own redis-server :${own.port}` : url.replace(/\/\/.*@/, '//***@')}`);
  for (const step of selected) {
    const comparison = await compareInterleaved(step.baseline, step.candidate, { ...settings, serverCpuUs: redisCpuUs });
    const { throughput, serverCpuPerCall } = comparison.ratio;
    console.log(`  ${step.label}: throughput ratio ${throughput.median.toFixed(3)}, Redis CPU/call ${comparison.baseline.server?.cpuUsPerCall.toFixed(1)} → ${comparison.candidate.server?.cpuUsPerCall.toFixed(1)} µs (×${serverCpuPerCall?.median.toFixed(2)})`);
    comparisons.push({ id: step.id, label: step.label, comparison });
  }
} finally {
  for (const guard of guards) guard.close();
  // Leave nothing behind on a shared Redis.
  if (own === undefined) {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  await Promise.all([closeRedis(admin), closeRedis(client)]);
  await own?.stop();
}

console.log(`\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
const goalStep = comparisons.find((s) => s.id === 'limiter-3-windows-vs-raw');
const goal = goalStep === undefined ? undefined : { throughputRatio: goalStep.comparison.ratio.throughput.median, goal: GOAL, met: goalStep.comparison.ratio.throughput.median >= GOAL };
if (goal !== undefined) console.log(`goal: RateLimiter.run (3 windows) ≥ ${GOAL} of raw EVALSHA throughput: ${goal.throughputRatio.toFixed(3)} ${goal.met ? 'met' : 'NOT met'}`);
console.log(`written to ${writeResult('ratelimit-redis-path', { settings, redis: own !== undefined ? 'own redis-server' : 'given', goal, comparisons })}`);
