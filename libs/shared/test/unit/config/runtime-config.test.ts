import { ConfigError, runtimeConfigFor } from '../../../src/config/index.js';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('runtimeConfigFor', () => {
  test('defaults: embedded backends, service default port, local data dir', () => {
    expect(runtimeConfigFor('auth', 7401, {})).toEqual({
      service: 'auth',
      host: '127.0.0.1',
      port: 7401,
      logLevel: 'info',
      dataDir: '.aegis/data',
      serviceDataDir: '.aegis/data/auth',
      databaseUrl: undefined,
      redisUrl: undefined,
      redisKeyPrefix: 'aegis:',
      kafkaBrokers: undefined,
      kafkaClientId: 'aegis-auth',
      otlpEndpoint: undefined,
      shutdownGraceMs: 10_000,
      trustedProxies: ['127.0.0.1', '::1'],
    });
  });

  test('reads every shared variable', () => {
    const config = runtimeConfigFor('ratelimit', 7403, {
      HOST: '0.0.0.0',
      PORT: '8080',
      LOG_LEVEL: 'debug',
      AEGIS_DATA_DIR: '/var/lib/aegis',
      DATABASE_URL: 'postgresql://aegis@db:5432/aegis',
      REDIS_URL: 'redis+cluster://r1:7000,r2:7001',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      KAFKA_CLIENT_ID: 'edge-7',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      SHUTDOWN_GRACE_MS: '25s',
      AEGIS_TRUSTED_PROXIES: '10.0.0.2, 10.0.0.3',
    });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'debug',
      dataDir: '/var/lib/aegis',
      serviceDataDir: '/var/lib/aegis/ratelimit',
      databaseUrl: 'postgresql://aegis@db:5432/aegis',
      redisUrl: 'redis+cluster://r1:7000,r2:7001',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      kafkaClientId: 'edge-7',
      otlpEndpoint: 'http://collector:4318',
      shutdownGraceMs: 25_000,
      trustedProxies: ['10.0.0.2', '10.0.0.3'],
    });
  });

  test('AEGIS_<SERVICE>_PORT and AEGIS_<SERVICE>_DATABASE_URL win over the shared variables', () => {
    const shared = { PORT: '8080', DATABASE_URL: 'postgres://h/shared', AEGIS_AUTH_PORT: '7401', AEGIS_AUTH_DATABASE_URL: 'postgres://h/auth' };
    expect(runtimeConfigFor('auth', 1, shared)).toMatchObject({ port: 7401, databaseUrl: 'postgres://h/auth' });
    // another service in the same environment still gets the shared values
    expect(runtimeConfigFor('pii', 1, shared)).toMatchObject({ port: 8080, databaseUrl: 'postgres://h/shared' });
  });

  test('an empty override falls back to the shared variable', () => {
    expect(runtimeConfigFor('auth', 1, { PORT: '8080', AEGIS_AUTH_PORT: '' }).port).toBe(8080);
  });

  test('errors name the override variable the operator set, and every bad variable', () => {
    const err = configErrorOf(() =>
      runtimeConfigFor('billing', 7405, {
        AEGIS_BILLING_PORT: 'eighty',
        AEGIS_BILLING_DATABASE_URL: 'mysql://billing:s3cret-pw@db/billing',
        REDIS_URL: 'http://r:6379',
        KAFKA_BROKERS: 'k1:9092,k2',
        LOG_LEVEL: 'loud',
        SHUTDOWN_GRACE_MS: 'forever',
      }),
    );
    expect(err.issues.map((issue) => issue.variable).sort()).toEqual([
      'AEGIS_BILLING_DATABASE_URL',
      'AEGIS_BILLING_PORT',
      'KAFKA_BROKERS',
      'LOG_LEVEL',
      'REDIS_URL',
      'SHUTDOWN_GRACE_MS',
    ]);
    expect(err.message).not.toContain('s3cret-pw');
    expect(err.message).not.toMatch(/\bPORT:/);
  });

  test('rejects a service name that cannot form a variable name', () => {
    expect(() => runtimeConfigFor('Auth Service', 1, {})).toThrow(/kebab-case/);
  });
});
