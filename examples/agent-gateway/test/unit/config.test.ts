import { ConfigError } from '@aegis/shared';
import { loadGatewayConfig } from '../../src/config.js';

test('only the gateway key is required; the services default to their standard ports', () => {
  const config = loadGatewayConfig({ AEGIS_GATEWAY_API_KEY: 'genxai_live_x' });
  expect(config).toMatchObject({
    port: 8080, host: '127.0.0.1', apiKey: 'genxai_live_x', kafkaBrokers: undefined, defaultMaxTokens: 256, callTimeoutMs: 5000,
    urls: { auth: 'http://127.0.0.1:8081', policy: 'http://127.0.0.1:8082', ratelimit: 'http://127.0.0.1:8083', pii: 'http://127.0.0.1:8084', billing: 'http://127.0.0.1:8085' },
  });
  expect(loadGatewayConfig({ AEGIS_GATEWAY_API_KEY: 'k', AEGIS_PII_URL: 'http://pii:8084/', KAFKA_BROKERS: 'k1:9092,k2:9092' })).toMatchObject({
    urls: { pii: 'http://pii:8084' }, kafkaBrokers: ['k1:9092', 'k2:9092'],
  });
});

test('every bad variable is named, and a secret is never quoted', () => {
  let err: unknown;
  try {
    loadGatewayConfig({ AEGIS_GATEWAY_PORT: 'eighty', AEGIS_AUTH_URL: 'auth:8081' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['AEGIS_AUTH_URL', 'AEGIS_GATEWAY_API_KEY', 'AEGIS_GATEWAY_PORT']);
  expect((err as ConfigError).issues.find((i) => i.variable === 'AEGIS_GATEWAY_API_KEY')?.message).toBe('is required but not set');
});
