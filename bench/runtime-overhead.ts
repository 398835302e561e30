// What the Aegis runtime costs a call: Health/Check through createServiceServer against the
// same handler on a bare Connect adapter, and a traced no-op RPC against Health/Check on
// the same server. Run: npx tsx bench/runtime-overhead.ts [--rounds=8 --round-ms=800 ...]
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { HealthCheckRequestSchema } from '@aegis/proto/grpc/health/v1/health_pb.js';
import {
  type BenchTransport,
  compareInterleaved,
  connectJsonTransport,
  type Contender,
  expectServing,
  figuresTable,
  grpcTransport,
  healthCheckContender,
  type LabelledComparison,
  ratioTable,
  ownCpuUsageUs,
  readSettings,
  startChildServer,
  writeResult,
} from './lib/index.js';
import { NoopService } from './servers/noop-service.js';
import { type OverheadServerUrls, startOverheadServers } from './servers/overhead-servers.js';

const settings = readSettings({
  rounds: 8,
  roundMs: 800,
  warmupMs: 1_000,
  concurrency: 8,
  /** `child`: servers in their own process (default, see docs/benchmarks.md); `inprocess`: same event loop as the client. */
  server: 'child',
  /** `on`: tracing installed as in every service process; `off`: no tracer provider. */
  telemetry: 'on',
  /** Run only the comparisons whose id contains this (e.g. `grpc`, `runtime-vs-bare`). */
  only: '',
});
if (!Number.isInteger(settings.rounds) || !Number.isInteger(settings.concurrency)) throw new Error('--rounds and --concurrency must be integers');
if (settings.server !== 'child' && settings.server !== 'inprocess') throw new Error('--server must be child or inprocess');
if (settings.telemetry !== 'on' && settings.telemetry !== 'off') throw new Error('--telemetry must be on or off');

const serverOptions = { telemetry: settings.telemetry === 'on' };
const servers = settings.server === 'child'
  ? await startChildServer<OverheadServerUrls>(fileURLToPath(new URL('./servers/overhead-servers-child.ts', import.meta.url)), {
    args: [JSON.stringify(serverOptions)],
  })
  : await startOverheadServers(serverOptions);
const urls = servers.info;
// In-process, the "server" CPU is the whole process's, client included.
const serverCpuUs = 'cpuUsageUs' in servers ? servers.cpuUsageUs : () => Promise.resolve(ownCpuUsageUs());

const transports: BenchTransport[] = [];
function open(transport: BenchTransport): BenchTransport {
  transports.push(transport);
  return transport;
}

function tracedNoop(name: string, bench: BenchTransport): Contender {
  const client = createClient(NoopService, bench.transport);
  const request = create(HealthCheckRequestSchema, { service: '' });
  return { name, call: () => expectServing(client.noop(request)) };
}

const plan: Array<{ id: string; label: string; protocol: string; baseline: Contender; candidate: Contender }> = [];
for (const [protocol, runtimeTransport, bareTransport] of [
  ['gRPC', open(grpcTransport(urls.runtime)), open(grpcTransport(urls.bareHttp2))],
  ['Connect JSON', open(connectJsonTransport(urls.runtime)), open(connectJsonTransport(urls.bareHttp1))],
] as const) {
  const slug = runtimeTransport.protocol;
  plan.push({
    id: `runtime-vs-bare-${slug}`,
    label: `runtime vs bare, ${protocol}`,
    protocol: slug,
    baseline: healthCheckContender(bareTransport.transport, 'bare Health/Check'),
    candidate: healthCheckContender(runtimeTransport.transport, 'runtime Health/Check'),
  });
  plan.push({
    id: `traced-vs-health-${slug}`,
    label: `traced RPC vs Health, ${protocol}`,
    protocol: slug,
    baseline: healthCheckContender(runtimeTransport.transport, 'runtime Health/Check'),
    candidate: tracedNoop('runtime NoopService/Noop', runtimeTransport),
  });
}

const comparisons: Array<LabelledComparison & { id: string; protocol: string }> = [];
try {
  const selected = plan.filter((step) => step.id.includes(settings.only));
  if (selected.length === 0) throw new Error(`--only=${settings.only} matches none of ${plan.map((s) => s.id).join(', ')}`);
  const perComparisonS = (2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000;
  console.log(`runtime-overhead: ${selected.length} comparisons × ~${perComparisonS.toFixed(0)} s, concurrency ${settings.concurrency}, server ${settings.server}, telemetry ${settings.telemetry}`);
  for (const step of selected) {
    const comparison = await compareInterleaved(step.baseline, step.candidate, { ...settings, serverCpuUs });
    const { throughput, serverCpuPerCall } = comparison.ratio;
    console.log(`  ${step.label}: ops/s ratio ${throughput.median.toFixed(3)}, server CPU/call ratio ${serverCpuPerCall?.median.toFixed(3) ?? '-'}`);
    comparisons.push({ id: step.id, label: step.label, protocol: step.protocol, comparison });
  }
} finally {
  for (const transport of transports) transport.close();
  await servers.stop();
}

console.log(`\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
const path = writeResult('runtime-overhead', { settings, comparisons });
console.log(`written to ${path}`);
