// `npm start`: all six Aegis services (auth, policy, ratelimit, pii, billing, the audit sink) in
// one process. With no backend configured they run on embedded defaults (PGlite per service,
// in-memory counters, the embedded event log under AEGIS_DATA_DIR); with DATABASE_URL,
// REDIS_URL and KAFKA_BROKERS set, on the real backends.
import { startPlatformGateway } from '@aegis/agent-gateway/platform';
import { installShutdown, runShutdown, startServices } from '@aegis/shared';
import { auditService } from '@aegis/audit-service';
import { authService } from '@aegis/auth-service';
import { billingService } from '@aegis/billing-service';
import { piiService } from '@aegis/pii-service';
import { policyService } from '@aegis/policy-service';
import { ratelimitService } from '@aegis/ratelimit-service';

const services = [authService, policyService, ratelimitService, piiService, billingService, auditService];

try {
  const running = await startServices(services, { processName: 'aegis' });
  // The example agent gateway (examples/agent-gateway) runs beside the services, and stops
  // first on Ctrl-C: its in-flight runs still need the services while they finish.
  const platformGateway = await startPlatformGateway(running).catch(async (err: unknown) => {
    await running.stop();
    throw err;
  });
  const plan = running.shutdownPlan;
  installShutdown({
    ...plan,
    servers: [],
    steps: [
      ...(platformGateway.gateway !== undefined ? [{ name: 'agent gateway', run: platformGateway.gateway.stop, timeoutMs: plan.graceMs + 2_000 }] : []),
      { name: 'services', run: async () => { const { failed } = await runShutdown(plan); if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')}`); }, timeoutMs: plan.graceMs + 60_000 },
    ],
  });
  const mode = (name: string, value: string | undefined, embedded: string) => `${name.padEnd(9)} ${value !== undefined ? 'external' : embedded}`;
  const first = running.services[0]!.config;
  const lines = [
    '',
    'Aegis is running.',
    '',
    ...running.services.map((s) => `  ${s.name.padEnd(10)} ${s.url}   (Connect, gRPC, gRPC-Web; /metrics /healthz /readyz)`),
    '',
    `  ${mode('postgres', first.databaseUrl, `embedded PGlite under ${first.dataDir}/<service>/pglite`)}`,
    `  ${mode('redis', first.redisUrl, 'in-memory (single process)')}`,
    `  ${mode('kafka', first.kafkaBrokers?.join(','), `embedded event log under ${first.dataDir}/events`)}`,
    ...running.services.flatMap((s) => (s.banner.length > 0 ? ['', ...s.banner.map((line) => `  ${line}`)] : [])),
    '',
    ...platformGateway.lines.map((line) => `  ${line}`),
    '',
    'Try:  curl -s -H "Content-Type: application/json" -d \'{}\' ' + `${running.services[0]!.url}/grpc.health.v1.Health/Check`,
    'Stop: Ctrl-C (graceful: drains requests, flushes events, closes databases)',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
} catch (err) {
  process.stderr.write(`aegis: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
