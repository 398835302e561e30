import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runtimeConfigFor, type EnvSource, type RuntimeConfig } from '../config/index.js';
import { createDatabase, migrate, type SqlDatabase } from '../db/index.js';
import type { EventBus } from '../events/index.js';
import { HealthRegistry } from '../health/index.js';
import type { ShutdownStep } from '../lifecycle/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { createServerMetrics } from '../metrics/index.js';
import { closeRedis, createRedis, redisPing, type RedisClient } from '../redis/index.js';
import { authenticationInterceptor, createCredentialEvents, createRemoteCredentialVerifier, loadAuthenticationConfig } from '../auth/index.js';
import { inProcessPermissionDecider, loadPermissionConfig, type PermissionDecider } from '../authz/index.js';
import { MemoryBroadcast, MemoryKeyValueStore, RedisBroadcast, RedisKeyValueStore } from '../kv/index.js';
import { createServiceServer, type ServiceServer } from '../server/index.js';
import type { EventPublisher } from './event-publisher.js';
import type { ServiceContext, ServiceDefinition } from './service-definition.js';
import { servicePermissions } from './service-permissions.js';

export interface StartedService {
  readonly name: string;
  readonly config: RuntimeConfig;
  readonly url: string;
  readonly server: ServiceServer;
  readonly banner: string[];
  /** The service's own close steps (workers, consumers): run after the server drained. */
  readonly closeSteps: ShutdownStep[];
  /** Its Redis and database: closed last, after the event bus flushed. */
  readonly resourceSteps: ShutdownStep[];
}

export interface StartServiceOptions {
  env?: EnvSource;
  /** The process's event bus (one per process: the embedded log is single-process). */
  events: EventBus;
  publisher: EventPublisher;
  logger?: Logger;
}

// The auth service of each group of services started together (one startServices call: they
// share its event bus). The others call it when AEGIS_AUTH_URL is unset, so `npm start` works
// whatever port auth got.
const authUrlOfGroup = new WeakMap<EventBus, string>();

/** The service whose credential checks the others call (AEGIS_AUTH_URL). */
const AUTH_SERVICE = 'auth';

// Likewise the policy service of each group: services requiring permissions ask its own
// DecisionService in process when AEGIS_POLICY_URL is unset, so `npm start` needs no URL.
const decisionPointOfGroup = new WeakMap<EventBus, PermissionDecider>();

/** The service whose DecisionService decides permissions (AEGIS_POLICY_URL). */
const POLICY_SERVICE = 'policy';

/**
 * The policy service started in the same group, for a service built before it (auth decides
 * `credential:watch` through it): looked up when a decision is needed, not at build time.
 */
export function groupDecisionPoint(events: EventBus): PermissionDecider | undefined {
  return decisionPointOfGroup.get(events);
}

/**
 * Configuration → dependencies → migrations → service → listening server, the same for
 * every service. Health stays NOT_SERVING until everything above succeeded. Every non-public
 * RPC requires a verified credential (the authentication interceptor).
 */
export async function startService(def: ServiceDefinition, opts: StartServiceOptions): Promise<StartedService> {
  const env = opts.env ?? process.env;
  const config = runtimeConfigFor(def.name, def.defaultPort, env);
  const groupAuthUrl = authUrlOfGroup.get(opts.events);
  const authentication = loadAuthenticationConfig(env, groupAuthUrl !== undefined ? { authUrl: groupAuthUrl } : {});
  const permissionConfig = loadPermissionConfig(env);
  const logger = opts.logger ?? createLogger({ service: def.name, level: config.logLevel });
  const health = new HealthRegistry({ logger });
  const metrics = createServerMetrics();
  const closeSteps: ShutdownStep[] = [];
  const resourceSteps: ShutdownStep[] = [];

  const db = await openDatabase(def, config, logger);
  health.addDependency('postgres', () => db.ping());
  // Not required: without Kafka a replica still answers decisions; health_dependency_up and the
  // logs show it, and publishes fail (and are retried by their callers) until Kafka is back.
  if (config.kafkaBrokers !== undefined) health.addDependency('kafka', () => opts.events.ping(), { required: false });
  let redis: RedisClient | undefined;
  try {
    if (def.migrationsDir !== undefined) await migrate(db, { schema: def.name, migrationsDir: def.migrationsDir, logger });
    if (config.redisUrl !== undefined) {
      const client = createRedis({ url: config.redisUrl, name: def.name, logger });
      redis = client;
      health.addDependency('redis', () => redisPing(client), { required: def.redisRequired !== false });
    }
    const prefix = `${config.redisKeyPrefix}${def.name}:`;
    const kv = redis !== undefined ? new RedisKeyValueStore(redis, prefix) : new MemoryKeyValueStore();
    const broadcast = config.redisUrl !== undefined
      ? new RedisBroadcast({ url: config.redisUrl, name: `${def.name}-broadcast`, keyPrefix: prefix, logger })
      : new MemoryBroadcast();
    resourceSteps.push({ name: `${def.name} broadcast`, run: () => broadcast.close() });
    const credentialEvents = createCredentialEvents({ name: def.name, logger, keyPrefix: config.redisKeyPrefix, ...(config.redisUrl !== undefined ? { redisUrl: config.redisUrl } : {}) });
    resourceSteps.push({ name: `${def.name} credential events`, run: () => credentialEvents.close() });
    const inProcessDecider = decisionPointOfGroup.get(opts.events);
    const permissions = def.requirePermissions !== true ? undefined : await servicePermissions({
      service: def.name,
      config: permissionConfig,
      redisKeyPrefix: config.redisKeyPrefix,
      logger,
      registry: metrics.registry,
      ...(inProcessDecider !== undefined ? { inProcess: inProcessDecider } : {}),
      ...(config.redisUrl !== undefined ? { redisUrl: config.redisUrl } : {}),
    });
    if (permissions !== undefined) {
      closeSteps.push(...permissions.closeSteps);
      resourceSteps.push(...permissions.resourceSteps);
    }
    const ctx: ServiceContext = {
      kv, broadcast, credentialEvents,
      ...(permissions !== undefined ? { permissions: permissions.checker } : {}),
      config, env, logger, db, events: opts.events, publisher: opts.publisher, health, metrics,
      ...(redis !== undefined ? { redis } : {}),
      onShutdown: (step) => closeSteps.push(step),
    };
    const parts = await def.build(ctx);
    if (def.name === POLICY_SERVICE) decisionPointOfGroup.set(opts.events, inProcessPermissionDecider(parts.routes, { logger, timeoutMs: permissionConfig.checkTimeoutMs }));
    const verifier = parts.credentialVerifier ?? await createRemoteCredentialVerifier({
      authUrl: authentication.authUrl,
      issuer: authentication.issuer,
      audience: authentication.audience,
      timeoutMs: authentication.verifyTimeoutMs,
      credentialEvents,
      logger,
    });
    closeSteps.push({ name: `${def.name} credential verifier`, run: () => verifier.close() });
    if (parts.credentialVerifier === undefined) logger.info({ authUrl: authentication.authUrl, issuer: authentication.issuer }, 'authentication: API keys verified by auth, access tokens against its JWKS');
    const server = createServiceServer({
      service: def.name,
      host: config.host,
      port: config.port,
      trustedProxies: config.trustedProxies,
      logger,
      health,
      metrics,
      routes: parts.routes,
      ...(parts.httpRoutes !== undefined ? { httpRoutes: parts.httpRoutes } : {}),
      // Authentication first: permissions and the service's own interceptors read the principal.
      interceptors: [authenticationInterceptor(verifier), ...(permissions !== undefined ? [permissions.interceptor] : []), ...(parts.interceptors ?? [])],
    });
    const { url } = await server.listen();
    if (def.name === AUTH_SERVICE) authUrlOfGroup.set(opts.events, url);
    await health.markReady();
    const client = redis;
    if (client !== undefined) resourceSteps.push({ name: `${def.name} redis`, run: () => closeRedis(client) });
    resourceSteps.push({ name: `${def.name} database`, run: () => db.close() });
    return { name: def.name, config, url, server, banner: parts.banner ?? [], closeSteps, resourceSteps };
  } catch (err) {
    // Nothing is serving yet: release what was opened so a failed start leaves no handles.
    for (const step of [...closeSteps, ...resourceSteps]) await step.run().catch(() => undefined);
    if (redis !== undefined) await closeRedis(redis).catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}

async function openDatabase(def: ServiceDefinition, config: RuntimeConfig, logger: Logger): Promise<SqlDatabase> {
  if (config.databaseUrl !== undefined) return createDatabase({ schema: def.name, logger, url: config.databaseUrl });
  const dataDir = join(config.serviceDataDir, 'pglite');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  return createDatabase({ schema: def.name, logger, dataDir });
}
