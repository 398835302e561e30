import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { env, type LogLevel } from './env-builders.js';
import { loadConfig, type EnvSource } from './load-config.js';

const postgresUrl = () => env.url({ protocols: ['postgres', 'postgresql'] });

/** The variables every Aegis service reads. Services extend it with their own. */
export const runtimeEnvSchema = z.object({
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: env.optionalPort(),
  LOG_LEVEL: env.logLevel('info'),
  AEGIS_DATA_DIR: z.string().default('.aegis/data'),
  /** Absent: each service runs an embedded PGlite under its data directory. */
  DATABASE_URL: postgresUrl().optional(),
  /** Absent: in-memory stores (single process only). */
  REDIS_URL: env.url({ protocols: ['redis', 'rediss', 'redis+cluster'] }).optional(),
  /**
   * First part of every Redis key and channel of the platform (`aegis:<service>:…`): lets
   * environments (or test runs) share one Redis without seeing each other's counters.
   */
  AEGIS_REDIS_KEY_PREFIX: z.string().trim().regex(/^[A-Za-z0-9_-]{1,32}:$/, 'must be 1-32 letters, digits, "_" or "-" followed by ":"').default('aegis:'),
  /** Absent: the embedded event log under the data directory. */
  KAFKA_BROKERS: env.hostPortList().optional(),
  KAFKA_CLIENT_ID: z.string().trim().regex(/^[A-Za-z0-9._-]+$/, 'may only contain letters, digits, ".", "_" and "-"').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url({ protocols: ['http', 'https'] }).optional(),
  SHUTDOWN_GRACE_MS: env.durationMs(10_000),
  /**
   * Proxies (IP addresses) whose X-Forwarded-For, and whose `source` fields, are believed when
   * working out a caller's address. Default: loopback (a sidecar proxy, or the services of one
   * `npm start` process calling each other).
   */
  AEGIS_TRUSTED_PROXIES: env.commaList().optional(),
});

export interface RuntimeConfig {
  service: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Root shared by all services in this environment (the embedded event log lives here). */
  dataDir: string;
  /** `<dataDir>/<service>`: this service's own files, e.g. its embedded PGlite database. */
  serviceDataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  kafkaBrokers?: string[];
  kafkaClientId: string;
  otlpEndpoint?: string;
  shutdownGraceMs: number;
  trustedProxies: string[];
}

/**
 * Variables a service may override with `AEGIS_<SERVICE>_<NAME>`: the ones that must differ
 * when several services share one environment (`npm start` runs all five in one process).
 */
export const PER_SERVICE_VARIABLES = ['PORT', 'DATABASE_URL'] as const;

export function serviceVariable(service: string, name: string): string {
  return `AEGIS_${service.toUpperCase().replace(/-/g, '_')}_${name}`;
}

/** Applies the per-service overrides, remembering where each value came from for error messages. */
function withServiceOverrides(service: string, source: EnvSource) {
  const merged: EnvSource = { ...source };
  const origin = new Map<string, string>();
  for (const name of PER_SERVICE_VARIABLES) {
    const variable = serviceVariable(service, name);
    const value = source[variable];
    if (value !== undefined && value.trim() !== '') {
      merged[name] = value;
      origin.set(name, variable);
    }
  }
  return { merged, origin };
}

export function runtimeConfigFor(service: string, defaultPort: number, source: EnvSource = process.env): RuntimeConfig {
  if (!/^[a-z][a-z0-9-]*$/.test(service)) throw new Error(`service name must be lowercase kebab-case, got "${service}"`);
  const { merged, origin } = withServiceOverrides(service, source);
  let parsed: z.infer<typeof runtimeEnvSchema>;
  try {
    parsed = loadConfig(runtimeEnvSchema, merged);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Name the variable the operator actually set (AEGIS_AUTH_PORT), not the one it replaced.
    throw new ConfigError(err.issues.map((issue) => ({ ...issue, variable: origin.get(issue.variable) ?? issue.variable })));
  }
  return {
    service,
    host: parsed.HOST,
    port: parsed.PORT ?? defaultPort,
    logLevel: parsed.LOG_LEVEL,
    dataDir: parsed.AEGIS_DATA_DIR,
    serviceDataDir: join(parsed.AEGIS_DATA_DIR, service),
    databaseUrl: parsed.DATABASE_URL,
    redisUrl: parsed.REDIS_URL,
    redisKeyPrefix: parsed.AEGIS_REDIS_KEY_PREFIX,
    kafkaBrokers: parsed.KAFKA_BROKERS,
    kafkaClientId: parsed.KAFKA_CLIENT_ID ?? `aegis-${service}`,
    otlpEndpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
    trustedProxies: parsed.AEGIS_TRUSTED_PROXIES ?? ['127.0.0.1', '::1'],
  };
}
