// What VerifyApiKey costs on its hot path (a key already cached in the auth process), against
// the no-op baseline Health/Check on the same auth server, in interleaved rounds. Goal: at
// least 0.85 of the no-op rate over gRPC (issue 3). The auth server runs in a child process
// (this same file, started with AEGIS_BENCH_ROLE=server) on the embedded backends: the cached
// path reads none of them.
// Run: npx tsx bench/auth-verify-api-key.ts [--rounds=8 --round-ms=800 --concurrency=8 --only=grpc]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { createClient } from '@connectrpc/connect';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { createLogger, initTelemetry, startServices } from '@aegis/shared';
import { authService } from '../services/auth/src/definition.js';
import {
  type BenchTransport, compareInterleaved, connectJsonTransport, type Contender, figuresTable, grpcTransport, healthCheckContender,
  type LabelledComparison, ratioTable, readSettings, serveToParent, startChildServer, writeResult,
} from './lib/index.js';

const GOAL = 0.85;
const KEY_PATTERN = /^\s*([a-z][a-z0-9]+_[a-z][a-z0-9]+_[0-9A-Za-z]{38})\s*$/;

interface AuthServerInfo {
  url: string;
  /** The bootstrap admin key of the fresh database: a real key, verified by the bench. */
  key: string;
}

if (process.env.AEGIS_BENCH_ROLE === 'server') serveToParent(startAuthServer);
else await runBench();

/** The child: a real auth service (all modules, migrations, bootstrap), traced as services are. */
async function startAuthServer(): Promise<{ info: AuthServerInfo; stop(): Promise<void> }> {
  // Spans are recorded and batched exactly as for the OTLP exporter, then dropped (see docs/benchmarks.md).
  const discarding: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: () => Promise.resolve() };
  const telemetry = initTelemetry({ serviceName: 'bench-auth', spanProcessors: [new BatchSpanProcessor(discarding)] });
  context.with(context.active(), () => undefined);
  const dataDir = await mkdtemp(join(tmpdir(), 'aegis-bench-auth-'));
  const running = await startServices([authService], {
    processName: 'bench-auth',
    telemetry: false,
    env: { AEGIS_DATA_DIR: dataDir, AEGIS_AUTH_PORT: '0', LOG_LEVEL: 'warn' },
    logger: createLogger({ service: 'bench-auth', level: 'warn' }),
  });
  const service = running.services[0]!;
  const key = service.banner.map((line) => KEY_PATTERN.exec(line)?.[1]).find((k) => k !== undefined);
  if (key === undefined) throw new Error('the fresh auth service printed no bootstrap key');
  return {
    info: { url: service.url, key },
    async stop() {
      await running.stop();
      await telemetry.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function runBench(): Promise<void> {
  const settings = readSettings({ rounds: 8, roundMs: 800, warmupMs: 1_000, concurrency: 8, only: '' });
  if (!Number.isInteger(settings.rounds) || !Number.isInteger(settings.concurrency)) throw new Error('--rounds and --concurrency must be integers');

  const server = await startChildServer<AuthServerInfo>(fileURLToPath(import.meta.url), { env: { ...process.env, AEGIS_BENCH_ROLE: 'server' } });
  const { url, key } = server.info;
  const transports: BenchTransport[] = [];
  const comparisons: Array<LabelledComparison & { id: string; protocol: string }> = [];
  try {
    for (const open of [grpcTransport, connectJsonTransport]) {
      const bench = open(url);
      transports.push(bench);
      const id = `verify-vs-health-${bench.protocol}`;
      if (!id.includes(settings.only)) continue;
      const client = createClient(ApiKeyService, bench.transport);
      // As the authentication interceptor asks: with the caller's source, so the throttle check is on the path too.
      const verify: Contender = {
        name: 'ApiKeyService/VerifyApiKey (cached)',
        call: async () => {
          const res = await client.verifyApiKey({ key, source: '10.1.2.3' });
          if (!res.valid) throw new Error('the bench key did not verify');
        },
      };
      const label = `VerifyApiKey vs Health/Check, ${bench.protocol === 'grpc' ? 'gRPC' : 'Connect JSON'}`;
      const perComparisonS = (2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000;
      console.log(`${label}: ~${perComparisonS.toFixed(0)} s, concurrency ${settings.concurrency}`);
      const comparison = await compareInterleaved(healthCheckContender(bench.transport), verify, { ...settings, serverCpuUs: server.cpuUsageUs });
      console.log(`  ops/s ratio ${comparison.ratio.throughput.median.toFixed(3)} (goal ≥ ${GOAL}), p99 ${Math.round(comparison.candidate.latencyUs.p99)} µs`);
      comparisons.push({ id, label, protocol: bench.protocol, comparison });
    }
    if (comparisons.length === 0) throw new Error(`--only=${settings.only} matches none of verify-vs-health-grpc, verify-vs-health-connect-json`);
    // Proof that the path measured is the cached one: the key record was read from the database once.
    const lookups = await lookupsByLayer(url);
    console.log(`\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n\nkey-record lookups by layer: ${JSON.stringify(lookups)}`);
    const grpc = comparisons.find((c) => c.protocol === 'grpc');
    const goal = grpc === undefined ? undefined : { throughputRatio: grpc.comparison.ratio.throughput.median, goal: GOAL, met: grpc.comparison.ratio.throughput.median >= GOAL };
    if (goal !== undefined) console.log(`gRPC goal (VerifyApiKey ≥ ${GOAL} of Health/Check): ${goal.met ? 'met' : 'NOT met'} (${goal.throughputRatio.toFixed(3)})`);
    console.log(`written to ${writeResult('auth-verify-api-key', { settings, goal, lookups, comparisons })}`);
  } finally {
    for (const transport of transports) transport.close();
    await server.stop();
  }
}

async function lookupsByLayer(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^aegis_auth_api_key_lookups_total\{layer="([a-z_]+)"\} (\d+)$/gm)) out[match[1]!] = Number(match[2]);
  return out;
}
