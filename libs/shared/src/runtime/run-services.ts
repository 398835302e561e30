import { installHttp2GoawayGuard } from '../server/http2-goaway-guard.js';
import { loadAuditSigningConfig } from '../audit-integrity/index.js';
import { runtimeConfigFor, type EnvSource } from '../config/index.js';
import { createEventBus, type EventBus } from '../events/index.js';
import { installShutdown, runShutdown, type ShutdownPlan, type ShutdownStep } from '../lifecycle/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { initTelemetry, type Telemetry } from '../telemetry/index.js';
import type { ServiceDefinition } from './service-definition.js';
import { startService, type StartedService } from './start-service.js';
import { EventPublisher, STANDARD_TOPICS } from './event-publisher.js';

export interface RunningServices {
  readonly services: readonly StartedService[];
  readonly events: EventBus;
  /** Drain every server, then close workers, the event bus, Redis and databases, in that order. */
  readonly shutdownPlan: ShutdownPlan;
  stop(): Promise<{ failed: string[] }>;
}

export interface RunServicesOptions {
  /** `service.name` on traces and the Kafka client id: the service, or `aegis` for the whole platform. */
  processName: string;
  env?: EnvSource;
  logger?: Logger;
  /** Install the process-wide tracer (default true). Tests that start several stacks in one process pass false. */
  telemetry?: boolean;
}

/**
 * Starts services in this process around one event bus: Kafka, or the embedded log, which is
 * single-process and therefore shared by every service of the process. Used by each service's
 * main (one definition), by `npm start` (all five) and by tests (port 0).
 */
export async function startServices(defs: readonly ServiceDefinition[], opts: RunServicesOptions): Promise<RunningServices> {
  installHttp2GoawayGuard();
  const env = opts.env ?? process.env;
  const base = runtimeConfigFor(opts.processName, 0, env);
  const logger = opts.logger ?? createLogger({ service: opts.processName, level: base.logLevel });
  const telemetry = opts.telemetry === false ? undefined : initTelemetry({
    serviceName: opts.processName,
    ...(base.otlpEndpoint !== undefined ? { otlpEndpoint: base.otlpEndpoint } : {}),
  });
  // Before the bus opens: a bad AEGIS_AUDIT_SIGNING_KEY fails the start with nothing to release.
  const audit = await loadAuditSigningConfig(env, base.dataDir);
  const events = await createEventBus({
    clientId: base.kafkaClientId,
    dataDir: base.dataDir,
    logger,
    ...(base.kafkaBrokers !== undefined ? { kafkaBrokers: base.kafkaBrokers } : {}),
  });
  await events.ensureTopics(STANDARD_TOPICS);
  const publisher = new EventPublisher(events, { ...audit, logger });
  // The public key is what `aegis audit verify` pins (AEGIS_AUDIT_PUBLIC_KEYS): not a secret.
  logger.info({ keyId: audit.signingKey.keyId, publicKey: audit.signingKey.publicKeyBase64, source: audit.source, ...(audit.file !== undefined ? { file: audit.file } : {}) }, 'audit checkpoints signed with this Ed25519 key');
  const services: StartedService[] = [];
  const running: RunningServices = {
    services,
    events,
    // A getter: the plan covers whatever has started by the time it is used.
    get shutdownPlan(): ShutdownPlan {
      return {
        logger,
        graceMs: base.shutdownGraceMs,
        servers: services.map((s) => s.server),
        steps: closeOrder(services, publisher, events, telemetry),
      };
    },
    stop: () => runShutdown(running.shutdownPlan),
  };
  try {
    for (const def of defs) {
      services.push(await startService(def, { env, events, publisher, logger: logger.child({ service: def.name }) }));
    }
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

function closeOrder(services: readonly StartedService[], publisher: EventPublisher, events: EventBus, telemetry: Telemetry | undefined): ShutdownStep[] {
  return [
    ...services.flatMap((s) => s.closeSteps),
    { name: 'event producer', run: () => publisher.close() },
    { name: 'event bus', run: () => events.close() },
    ...services.flatMap((s) => s.resourceSteps),
    ...(telemetry !== undefined ? [{ name: 'telemetry', run: () => telemetry.shutdown() }] : []),
  ];
}

/** A process's `main`: start, then shut down gracefully on SIGTERM/SIGINT. */
export async function runServices(defs: readonly ServiceDefinition[], opts: RunServicesOptions): Promise<RunningServices> {
  const running = await startServices(defs, opts);
  installShutdown(running.shutdownPlan);
  return running;
}

/**
 * The operator-facing lines of each service (e.g. a bootstrap credential), on stdout and
 * never through the logger: log pipelines keep what they receive, and a secret must not be kept.
 */
export function printBanners(running: RunningServices, out: NodeJS.WritableStream = process.stdout): void {
  for (const service of running.services) {
    if (service.banner.length > 0) out.write(`\n${service.banner.join('\n')}\n\n`);
  }
}
