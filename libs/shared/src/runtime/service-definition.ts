import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import type { EnvSource, RuntimeConfig } from '../config/index.js';
import type { SqlDatabase } from '../db/index.js';
import type { EventBus } from '../events/index.js';
import type { HealthRegistry } from '../health/index.js';
import type { ShutdownStep } from '../lifecycle/index.js';
import type { Logger } from '../logging/index.js';
import type { EventPublisher } from './event-publisher.js';
import type { ServerMetrics } from '../metrics/index.js';
import type { RedisClient } from '../redis/index.js';
import type { Broadcast, KeyValueStore } from '../kv/index.js';
import type { CredentialEvents, CredentialVerifier } from '../auth/index.js';
import type { PermissionChecker } from '../authz/index.js';
import type { HttpRoute } from '../server/index.js';

/**
 * Everything a service is handed at start-up, built once by the runtime from configuration
 * (Unkey's "one context object"). Adapters pick their implementation from it: `redis` is
 * absent in embedded mode, so a service falls back to its in-memory adapter.
 */
export interface ServiceContext {
  readonly config: RuntimeConfig;
  /** The environment the runtime config was read from: a service parses its own variables from it, once. */
  readonly env: EnvSource;
  readonly logger: Logger;
  /** The service's own schema, on Postgres (DATABASE_URL) or embedded PGlite. */
  readonly db: SqlDatabase;
  /** Present only when REDIS_URL is set. */
  readonly redis?: RedisClient;
  /** Expiring shared state, namespaced `aegis:<service>:`: Redis when configured, else in-memory. */
  readonly kv: KeyValueStore;
  /** Messages to every instance of this service (cache invalidation): Redis pub/sub, else in-process. */
  readonly broadcast: Broadcast;
  /** Platform-wide credential invalidations (auth publishes, every interceptor listens). */
  readonly credentialEvents: CredentialEvents;
  /** Kafka when KAFKA_BROKERS is set, else the embedded event log (shared by the services of one process). */
  readonly events: EventBus;
  /** Publishes aegis.events.v1 envelopes (audit, usage, alerts) on their topics. */
  readonly publisher: EventPublisher;
  readonly health: HealthRegistry;
  readonly metrics: ServerMetrics;
  /**
   * Present when the definition sets `requirePermissions`: the checker its permission
   * interceptor uses, for handlers that decide on one resource (`requireForCaller`).
   */
  readonly permissions?: PermissionChecker;
  /** Close steps run on shutdown after the server drained, in registration order, before pools close. */
  onShutdown(step: ShutdownStep): void;
}

/** What a service contributes to its server. */
export interface ServiceParts {
  /** Registers the service's RPCs (`router.service(ApiKeyService, handlers)`). */
  routes(router: ConnectRouter): void;
  /** Extra plain-HTTP GET routes, e.g. `/.well-known/jwks.json`. */
  httpRoutes?: Record<string, HttpRoute>;
  /** Innermost interceptors, inside the runtime's authentication (and, with `requirePermissions`, permission) interceptor. */
  interceptors?: Interceptor[];
  /**
   * Verifies callers' credentials for this service. Absent: the runtime builds the remote one
   * (VerifyApiKey at AEGIS_AUTH_URL, access tokens against its JWKS). The auth service supplies
   * an in-process one, so it never calls itself over the network. Closed by the runtime after
   * the server drained.
   */
  credentialVerifier?: CredentialVerifier;
  /** Lines for the operator, printed once at start (e.g. a first-start bootstrap credential). */
  banner?: string[];
}

/**
 * A service as the runtime knows it. `main.ts` of each service is one call to `runService`
 * with its definition; `npm start` passes all five to `runPlatform`.
 */
export interface ServiceDefinition {
  /** Lowercase name: `auth`, `policy`, ... Also its Postgres schema and its config prefix (AEGIS_AUTH_PORT). */
  name: string;
  /** Fixed, documented default port (docs/configuration.md). */
  defaultPort: number;
  /** Absolute path of the service's versioned SQL migrations (NNNN_name.sql); none yet: omit. */
  migrationsDir?: string;
  /**
   * Every RPC needs the permission its contract names, decided by the policy service (the
   * permission interceptor after authentication; docs/policy.md). Auth and policy authorise
   * their own RPCs themselves and leave this unset.
   */
  requirePermissions?: boolean;
  /**
   * Whether readiness needs Redis (with REDIS_URL set; default true): a required dependency
   * that fails its probe turns health NOT_SERVING. A service that keeps answering correctly
   * without Redis (a local fallback) sets false; Redis is still probed and reported
   * (`health_dependency_up{dependency="redis",required="false"}`).
   */
  redisRequired?: boolean;
  /** Builds handlers and adapters from the context; runs after migrations. */
  build(ctx: ServiceContext): Promise<ServiceParts>;
}
