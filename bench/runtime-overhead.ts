// What the Aegis runtime costs a call: Health/Check through createServiceServer against the
// same handler on a bare Connect adapter, and a traced no-op RPC against Health/Check on
// the same server. Run: npx tsx bench/runtime-overhead.ts [--rounds=6 --round-ms=1000 ...]
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@aegis/proto/grpc/health/v1/health_pb.js';
import {
  type BenchTransport,
  compareInterleaved,
  connectJsonTransport,
  type Contender,
  figuresTable,
  grpcTransport,
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
  rounds: 6,
  roundMs: 1_000,
  warmupMs: 1_000,
  concurrency: 16,
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

const checkRequest = create(HealthCheckRequestSchema, { service: '' });

function healthCheck(name: string, bench: BenchTransport): Contender {
  const client = createClient(Health, bench.transport);
  return { name, call: () => expectServing(client.check(checkRequest)) };
}

function tracedNoop(name: string, bench: BenchTransport): Contender {
  const client = createClient(NoopService, bench.transport);
  return { name, call: () => expectServing(client.noop(checkRequest)) };
}

// A server answering NOT_SERVING (or anything unexpected) would be measured as fast as a
// healthy one: every call checks what it got.
async function expectServing(response: Promise<{ status: ServingStatus }>): Promise<void> {
  const { status } = await response;
  if (status !== ServingStatus.SERVING) throw new Error(`expected SERVING, got ${ServingStatus[status]}`);
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
    baseline: healthCheck('bare Health/Check', bareTransport),
    candidate: healthCheck('runtime Health/Check', runtimeTransport),
  });
  plan.push({
    id: `traced-vs-health-${slug}`,
    label: `traced RPC vs Health, ${protocol}`,
    protocol: slug,
    baseline: healthCheck('runtime Health/Check', runtimeTransport),
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
    process.stdout.write(`  ${step.label} ... `);
    const comparison = await compareInterleaved(step.baseline, step.candidate, { ...settings, serverCpuUs });
    console.log(`ops/s ratio ${comparison.ratio.throughput.median.toFixed(3)}`);
    comparisons.push({ id: step.id, label: step.label, protocol: step.protocol, comparison });
  }
} finally {
  for (const transport of transports) transport.close();
  await servers.stop();
}

console.log(`\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
const path = writeResult('runtime-overhead', { settings, comparisons });
console.log(`written to ${path}`);
