import { z } from 'zod';
import { env, loadConfig, type EnvSource, type LogLevel } from '@aegis/shared';

// The gateway's whole configuration, parsed once at start (docs: ../README.md, "Configuration").

const serviceUrl = (port: number) => env.url({ protocols: ['http', 'https'] }).default(`http://127.0.0.1:${port}`);

const gatewayEnvSchema = z.object({
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  AEGIS_GATEWAY_PORT: env.port(8080),
  LOG_LEVEL: env.logLevel('info'),
  /**
   * The gateway's own credential (a key whose role grants only what the guard calls need),
   * never an end user's and never the bootstrap admin key.
   */
  AEGIS_GATEWAY_API_KEY: z.string().trim().min(1),
  AEGIS_AUTH_URL: serviceUrl(8081),
  AEGIS_POLICY_URL: serviceUrl(8082),
  AEGIS_RATELIMIT_URL: serviceUrl(8083),
  AEGIS_PII_URL: serviceUrl(8084),
  AEGIS_BILLING_URL: serviceUrl(8085),
  /** Where the gateway publishes its agent.execution audit records; absent: not published. */
  KAFKA_BROKERS: env.hostPortList().optional(),
  /** Holds the audit checkpoint signing key when AEGIS_AUDIT_SIGNING_KEY is unset. */
  AEGIS_DATA_DIR: z.string().default('.aegis/data'),
  /** Completion tokens reserved when a request names no max_tokens. */
  AEGIS_GATEWAY_DEFAULT_MAX_TOKENS: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000').default(256),
  /** Deadline of each call to a service (the SDK retries Unavailable within it). */
  AEGIS_GATEWAY_CALL_TIMEOUT_MS: env.durationMs(5_000),
  SHUTDOWN_GRACE_MS: env.durationMs(10_000),
});

export interface GatewayConfig {
  host: string;
  port: number;
  logLevel: LogLevel;
  apiKey: string;
  urls: { auth: string; policy: string; ratelimit: string; pii: string; billing: string };
  kafkaBrokers: string[] | undefined;
  dataDir: string;
  defaultMaxTokens: number;
  callTimeoutMs: number;
  shutdownGraceMs: number;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** Throws a ConfigError naming every bad variable (values of secret-looking ones are never quoted). */
export function loadGatewayConfig(source: EnvSource = process.env): GatewayConfig {
  const parsed = loadConfig(gatewayEnvSchema, source);
  return {
    host: parsed.HOST,
    port: parsed.AEGIS_GATEWAY_PORT,
    logLevel: parsed.LOG_LEVEL,
    apiKey: parsed.AEGIS_GATEWAY_API_KEY,
    urls: {
      auth: trimSlash(parsed.AEGIS_AUTH_URL),
      policy: trimSlash(parsed.AEGIS_POLICY_URL),
      ratelimit: trimSlash(parsed.AEGIS_RATELIMIT_URL),
      pii: trimSlash(parsed.AEGIS_PII_URL),
      billing: trimSlash(parsed.AEGIS_BILLING_URL),
    },
    kafkaBrokers: parsed.KAFKA_BROKERS,
    dataDir: parsed.AEGIS_DATA_DIR,
    defaultMaxTokens: parsed.AEGIS_GATEWAY_DEFAULT_MAX_TOKENS,
    callTimeoutMs: parsed.AEGIS_GATEWAY_CALL_TIMEOUT_MS,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
  };
}
