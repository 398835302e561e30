import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAegis, type Aegis } from '@aegis/sdk';
import { createEventBus, EventPublisher, STANDARD_TOPICS, type EnvSource, type EventBus, type Logger } from '@aegis/shared';
import { loadAuditSigningConfig } from '@aegis/shared/audit-integrity';
import { gatewayApp } from './app.js';
import type { GatewayConfig } from './config.js';
import { executionPublisher, GATEWAY_SOURCE } from './execution-audit.js';

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /**
   * An event bus to publish audit records on. `npm start` passes its own: the embedded event
   * log belongs to one process. Without it the gateway opens Kafka when KAFKA_BROKERS is set,
   * and publishes nothing otherwise.
   */
  events?: EventBus;
  /** Where AEGIS_AUDIT_SIGNING_KEY and the checkpoint cadence are read (default process.env). */
  env?: EnvSource;
}

export interface RunningGateway {
  url: string;
  /** Whether agent.execution records go to the audit topic. */
  auditPublished: boolean;
  /** Stop accepting, let in-flight runs finish within the grace, then flush audit and close. */
  stop(): Promise<void>;
}

/** Starts the gateway on config.host:config.port (0 picks a free port). */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const { config, logger } = opts;
  let ownBus: EventBus | undefined;
  let publisher: EventPublisher | undefined;
  if (opts.events !== undefined || config.kafkaBrokers !== undefined) {
    const events = opts.events ?? (ownBus = await createEventBus({ kafkaBrokers: config.kafkaBrokers!, clientId: GATEWAY_SOURCE, dataDir: config.dataDir, logger }));
    if (ownBus !== undefined) await ownBus.ensureTopics(STANDARD_TOPICS);
    publisher = new EventPublisher(events, { ...(await loadAuditSigningConfig(opts.env ?? process.env, config.dataDir)), logger });
  } else {
    logger.warn('KAFKA_BROKERS is not set: agent.execution audit records are not published');
  }
  const publish = publisher !== undefined ? executionPublisher(publisher) : undefined;

  const aegis: Aegis = createAegis({
    urls: config.urls,
    apiKey: config.apiKey,
    timeoutMs: config.callTimeoutMs,
    guard: {
      defaultCompletionTokens: config.defaultMaxTokens,
      ...(publish !== undefined ? { onExecution: (record, result) => publish(record, result.principal) } : {}),
      onHookError: (err) => logger.error({ err }, 'could not publish the agent.execution audit record'),
    },
  });
  let accepting = true;
  const app = gatewayApp({ aegis, logger, defaultMaxTokens: config.defaultMaxTokens, accepting: () => accepting });
  const server: Server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await aegis.close();
    await publisher?.close();
    await ownBus?.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, audit: publisher !== undefined }, 'agent gateway listening');

  let stopping: Promise<void> | undefined;
  return {
    url,
    auditPublished: publisher !== undefined,
    stop() {
      stopping ??= (async () => {
        accepting = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownGraceMs).unref());
        if (await Promise.race([closed.then(() => 'closed' as const), grace]) === 'timeout') {
          logger.warn({ graceMs: config.shutdownGraceMs }, 'runs still in flight after the grace period: closing their connections');
          server.closeAllConnections();
          await closed;
        }
        // Settles the usage still pending and gives back allowances and idle leases first.
        await aegis.close();
        // Signs the chains' last events (a final checkpoint) before the producer goes.
        await publisher?.close();
        await ownBus?.close();
        logger.info('agent gateway stopped');
      })();
      return stopping;
    },
  };
}
