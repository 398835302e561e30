// RateLimitService/Check over gRPC against a no-op RPC on the same server, in interleaved
// rounds. Goal (issue 5): Check ≥ 0.85 of the no-op's rate; p50/p99 reported.
//
// The server is a real ratelimit service (with auth and policy in the same child process,
// embedded Postgres; this file started with AEGIS_BENCH_ROLE=server) on a redis-server of
// the bench's own. The no-op baseline, aegis.bench.v1.NoopService/Noop, is registered on the
// ratelimit server itself, so it passes the same listener, tracing, metrics, authentication
// (the same API key, cached) and permission interceptor (it names no permission, so no
// decision); Check adds its permission decision (cached), validation, the tier's limits and
// the Redis step. Each Check uses a fresh key, so nothing is ever denied (a denial would be
// the cheaper path). Also: Check against the public Health/Check (no credential at all).
// Run: npx tsx bench/ratelimit-check-grpc.ts [--rounds=8 --round-ms=1000 --concurrency=32]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createClient, type Interceptor, type Transport } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { HealthCheckRequestSchema } from '@aegis/proto/grpc/health/v1/health_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import { RateLimitService } from '@aegis/proto/aegis/ratelimit/v1/rate_limit_service_pb.js';
import { createLogger, initTelemetry, startServices, type ServiceDefinition } from '@aegis/shared';
import { authService } from '../services/auth/src/definition.js';
import { policyService } from '../services/policy/src/definition.js';
import { ratelimitService } from '../services/ratelimit/src/definition.js';
import { ownRedisServer } from '../services/ratelimit/test/support/own-redis-server.js';
import {
  compareInterleaved, type Contender, expectServing, figuresTable, healthCheckContender, type LabelledComparison, ratioTable,
  readSettings, serveToParent, startChildServer, writeResult,
} from './lib/index.js';
import { NoopService, noopImpl } from './servers/noop-service.js';

const GOAL = 0.85;
const KEY_PATTERN = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

interface ServerInfo {
  url: string;
  /** The bootstrap admin key: a real credential, verified (then cached) like any caller's. */
  key: string;
}

if (process.env.AEGIS_BENCH_ROLE === 'server') serveToParent(startServer);
else await runBench();

/** The ratelimit service, plus the no-op RPC on the same server. */
const withNoop: ServiceDefinition = {
  ...ratelimitService,
  async build(ctx) {
    const parts = await ratelimitService.build(ctx);
    return {
      ...parts,
      routes(router) {
        parts.routes(router);
        router.service(NoopService, noopImpl);
      },
    };
  },
};

async function startServer(): Promise<{ info: ServerInfo; stop(): Promise<void> }> {
  // Spans recorded and batched as for the OTLP exporter, then dropped (docs/benchmarks.md).
  const discarding: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() };
  const telemetry = initTelemetry({ serviceName: 'bench-ratelimit', spanProcessors: [new BatchSpanProcessor(discarding)] });
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-bench-ratelimit-'));
  const running = await startServices([authService, policyService, withNoop], {
    processName: 'bench-ratelimit',
    telemetry: false,
    env: {
      AEGIS_DATA_DIR: dataDir,
      AEGIS_AUTH_PORT: '0',
      AEGIS_POLICY_PORT: '0',
      AEGIS_RATELIMIT_PORT: '0',
      REDIS_URL: process.env.BENCH_REDIS_URL!,
      AEGIS_REDIS_KEY_PREFIX: 'bench:',
      // What is measured is the Redis path: on a loaded machine a step can overrun the
      // production deadline (100 ms) and be answered by the fallback, which the bench refuses.
      AEGIS_RATELIMIT_REDIS_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'warn',
    },
    logger: createLogger({ service: 'bench-ratelimit', level: 'warn' }),
  });
  const key = running.services[0]!.banner.map((line) => KEY_PATTERN.exec(line)?.[1]).find((k) => k !== undefined);
  if (key === undefined) throw new Error('the fresh auth service printed no bootstrap key');
  return {
    info: { url: running.services[2]!.url, key },
    async stop() {
      await running.stop();
      await telemetry.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function runBench(): Promise<void> {
  const settings = readSettings({ rounds: 8, roundMs: 1_000, warmupMs: 1_500, concurrency: 32 });
  if (!Number.isInteger(settings.rounds) || !Number.isInteger(settings.concurrency)) throw new Error('--rounds and --concurrency must be integers');
  const redis = await ownRedisServer();
  const server = await startChildServer<ServerInfo>(fileURLToPath(import.meta.url), { env: { ...process.env, AEGIS_BENCH_ROLE: 'server', BENCH_REDIS_URL: redis.url } });
  const { url, key } = server.info;
  const sessionManager = new Http2SessionManager(url);
  const bearer: Interceptor = (next) => (req) => {
    req.header.set('authorization', `Bearer ${key}`);
    return next(req);
  };
  const authed: Transport = createGrpcTransport({ baseUrl: url, sessionManager, interceptors: [bearer] });
  const comparisons: Array<LabelledComparison & { id: string }> = [];
  try {
    const limits = createClient(RateLimitService, authed);
    let n = 0;
    const check: Contender = {
      name: 'RateLimitService/Check (enterprise tier, 3 windows, Redis)',
      call: async () => {
        const answer = await limits.check({ tenantId: 'default', key: `k${n++}`, selector: { tier: RateLimitTier.ENTERPRISE } });
        if (!answer.allowed || answer.degraded) throw new Error('Check must be admitted by Redis in this bench');
      },
    };
    const noopClient = createClient(NoopService, authed);
    const request = create(HealthCheckRequestSchema, { service: '' });
    const noop: Contender = { name: 'NoopService/Noop (authenticated, same server)', call: () => expectServing(noopClient.noop(request)) };
    const health = healthCheckContender(authed, 'Health/Check (public)');
    const perComparisonS = (2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000;
    for (const step of [
      { id: 'check-vs-noop-grpc', label: 'GOAL: Check vs no-op RPC, gRPC', baseline: noop, candidate: check },
      { id: 'check-vs-health-grpc', label: 'Check vs Health/Check (no credential), gRPC', baseline: health, candidate: check },
    ]) {
      console.log(`${step.label}: ~${perComparisonS.toFixed(0)} s, concurrency ${settings.concurrency}`);
      const comparison = await compareInterleaved(step.baseline, step.candidate, { ...settings, serverCpuUs: server.cpuUsageUs });
      const { throughput } = comparison.ratio;
      console.log(`  ops/s ratio ${throughput.median.toFixed(3)}; Check p50 ${Math.round(comparison.candidate.latencyUs.p50)} µs, p99 ${Math.round(comparison.candidate.latencyUs.p99)} µs`);
      comparisons.push({ ...step, comparison });
    }
  } finally {
    sessionManager.abort();
    await server.stop();
    await redis.stop();
  }
  console.log(`\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
  const goalStep = comparisons[0]!.comparison;
  const goal = {
    throughputRatio: goalStep.ratio.throughput.median,
    goal: GOAL,
    met: goalStep.ratio.throughput.median >= GOAL,
    checkLatencyUs: { p50: goalStep.candidate.latencyUs.p50, p99: goalStep.candidate.latencyUs.p99 },
    noopLatencyUs: { p50: goalStep.baseline.latencyUs.p50, p99: goalStep.baseline.latencyUs.p99 },
  };
  console.log(`goal (Check ≥ ${GOAL} of the no-op RPC over gRPC): ${goal.met ? 'met' : 'NOT met'} (${goal.throughputRatio.toFixed(3)})`);
  console.log(`written to ${writeResult('ratelimit-check-grpc', { settings, goal, comparisons })}`);
}
