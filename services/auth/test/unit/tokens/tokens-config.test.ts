import { ConfigError } from '@aegis/shared';
import { loadTokensConfig } from '../../../src/tokens/config.js';

test('defaults: EdDSA, audience aegis, 15 min access tokens, 30 day rotation, retention beyond the longest token', () => {
  const config = loadTokensConfig({});
  expect(config).toMatchObject({
    AEGIS_AUTH_JWT_ALGORITHM: 'EdDSA',
    AEGIS_AUTH_JWT_AUDIENCES: ['aegis'],
    AEGIS_AUTH_ACCESS_TOKEN_TTL_MS: 15 * 60_000,
    AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS: 30 * 24 * 3_600_000,
  });
  expect(config.AEGIS_AUTH_SIGNING_KEY_RETENTION_MS).toBeGreaterThan(24 * 3_600_000);
});

test('values with units and lists parse', () => {
  const config = loadTokensConfig({ AEGIS_AUTH_JWT_ALGORITHM: 'RS256', AEGIS_AUTH_JWT_AUDIENCES: 'aegis, gateway', AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS: '720h' });
  expect(config.AEGIS_AUTH_JWT_ALGORITHM).toBe('RS256');
  expect(config.AEGIS_AUTH_JWT_AUDIENCES).toEqual(['aegis', 'gateway']);
  expect(config.AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS).toBe(720 * 3_600_000);
});

test.each([
  [{ AEGIS_AUTH_JWT_ALGORITHM: 'HS256' }, 'AEGIS_AUTH_JWT_ALGORITHM'],
  [{ AEGIS_AUTH_JWT_ALGORITHM: 'none' }, 'AEGIS_AUTH_JWT_ALGORITHM'],
  [{ AEGIS_AUTH_SIGNING_KEY_RETENTION_MS: '1h' }, 'AEGIS_AUTH_SIGNING_KEY_RETENTION_MS'],
  [{ AEGIS_AUTH_ACCESS_TOKEN_TTL_MS: '25h' }, 'AEGIS_AUTH_ACCESS_TOKEN_TTL_MS'],
  [{ AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS: '1m' }, 'AEGIS_AUTH_SIGNING_KEY_PREPUBLISH_MS'],
  [{ AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS: '30m' }, 'AEGIS_AUTH_SIGNING_KEY_ROTATION_INTERVAL_MS'],
  [{ AEGIS_AUTH_JWT_AUDIENCES: 'aegis,bad audience' }, 'AEGIS_AUTH_JWT_AUDIENCES'],
  [{ AEGIS_AUTH_REFRESH_FAMILY_LIFETIME_MS: '1m' }, 'AEGIS_AUTH_REFRESH_FAMILY_LIFETIME_MS'],
])('%j is refused, naming %s', (env, variable) => {
  let error: unknown;
  try {
    loadTokensConfig(env);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toContain(variable);
});
