import { loadAuditSigningConfig, parseTrustedKeys, type TrustedKeys } from '@aegis/shared/audit-integrity';
import { deadLetterTopicSpec, type EnvSource, type ServiceContext, type ServiceParts } from '@aegis/shared';
import { startAuditConsumer } from './adapters/events/audit-consumer.js';
import { auditDeadLetters } from './adapters/events/dead-letter-outbox.js';
import { AuditStore } from './adapters/postgres/audit-store.js';
import { StoredFeed } from './adapters/postgres/stored-feed.js';
import { loadAuditSinkConfig } from './config.js';
import { registerAuditLogService } from './handlers/audit-log-service.js';
import { RetentionSweeper } from './retention-sweeper.js';

const DEAD_LETTER_PARTITIONS = 3;
/** Retry of dead-lettering after the topic was unreachable. */
const DEAD_LETTER_RETRY_MS = 30_000;

export interface AuditSinkOptions {
  topic: string;
  /** The sink's clock (retention); tests move it. */
  now?: () => number;
}

/** Wires the store, the consumer group, the retention sweeper and AuditLogService. */
export async function buildAuditSink(ctx: ServiceContext, opts: AuditSinkOptions): Promise<ServiceParts> {
  const config = loadAuditSinkConfig(ctx.env);
  const now = opts.now ?? (() => Date.now());
  const logger = ctx.logger;
  const trustedKeys = await trustedKeysOf(config.publicKeys, ctx.env, ctx.config.dataDir);
  const store = new AuditStore(ctx.db);
  const feed = new StoredFeed(ctx.db, store.channel, logger);
  await feed.start();
  ctx.onShutdown({ name: 'audit tail notifications', run: () => feed.stop() });
  // Kafka runs with topic auto-creation off: the dead-letter topic is created here, sized for a trickle.
  await ctx.events.ensureTopics([deadLetterTopicSpec({ topic: opts.topic, partitions: DEAD_LETTER_PARTITIONS })]);
  const deadLetters = auditDeadLetters({ store, producer: ctx.events.producer(), groupId: config.consumerGroup, retryMs: DEAD_LETTER_RETRY_MS, logger: logger.child({ module: 'audit-dlq' }) });
  deadLetters.start();
  const consumer = await startAuditConsumer({
    bus: ctx.events, store, topic: opts.topic, groupId: config.consumerGroup, fromBeginning: config.consumerFromBeginning,
    batchSize: config.batchSize, retention: config.retention, now, logger: logger.child({ module: 'audit-consumer' }),
    onStored: (tenants) => feed.announce(tenants),
    onParked: () => deadLetters.kick(),
  });
  ctx.onShutdown({ name: 'audit consumer', run: async () => {
    await consumer.stop();
    await deadLetters.stop();
  } });
  const sweeper = new RetentionSweeper({
    deleteExpired: (at, batch) => store.deleteExpired(at, batch), batch: config.sweepBatch, intervalMs: config.sweepIntervalMs, now, logger,
  });
  sweeper.start();
  ctx.onShutdown({ name: 'audit retention sweeper', run: () => sweeper.stop() });
  logger.info({ keyIds: [...trustedKeys.keys()] }, 'VerifyAuditChain trusts these checkpoint keys');
  return {
    routes(router) {
      registerAuditLogService(router, { store, feed, trustedKeys, verifyMaxRecords: config.verifyMaxRecords, tailPollMs: config.tailPollMs, logger });
    },
  };
}

/**
 * AEGIS_AUDIT_PUBLIC_KEYS plus the key this process signs its own checkpoints with: with
 * `npm start` (one process, one key) verification needs no configuration; a deployment whose
 * services sign with keys of their own lists them.
 */
async function trustedKeysOf(configured: string | undefined, env: EnvSource, dataDir: string): Promise<TrustedKeys> {
  const keys = new Map(configured === undefined ? [] : parseConfiguredKeys(configured));
  const own = await loadAuditSigningConfig(env, dataDir);
  keys.set(own.signingKey.keyId, own.signingKey.publicKey);
  return keys;
}

function parseConfiguredKeys(text: string): TrustedKeys {
  try {
    return parseTrustedKeys(text);
  } catch (err) {
    throw new Error(`AEGIS_AUDIT_PUBLIC_KEYS: ${(err as Error).message}`);
  }
}
