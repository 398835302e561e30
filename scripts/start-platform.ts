// `npm start`: all five Aegis services in one process. With no backend configured they run on
// embedded defaults (PGlite per service, in-memory counters, the embedded event log under
// AEGIS_DATA_DIR); with DATABASE_URL, REDIS_URL and KAFKA_BROKERS set, on the real backends.
import { runServices } from '@aegis/shared';
import { authService } from '@aegis/auth-service';
import { billingService } from '@aegis/billing-service';
import { piiService } from '@aegis/pii-service';
import { policyService } from '@aegis/policy-service';
import { ratelimitService } from '@aegis/ratelimit-service';

const services = [authService, policyService, ratelimitService, piiService, billingService];

try {
  const running = await runServices(services, { processName: 'aegis' });
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
    'Try:  curl -s -H "Content-Type: application/json" -d \'{}\' ' + `${running.services[0]!.url}/grpc.health.v1.Health/Check`,
    'Stop: Ctrl-C (graceful: drains requests, flushes events, closes databases)',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
} catch (err) {
  process.stderr.write(`aegis: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
