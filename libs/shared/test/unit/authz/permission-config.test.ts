import { ConfigError } from '../../../src/config/index.js';
import { loadPermissionConfig } from '../../../src/authz/index.js';

test('defaults: no URL (policy of the process, else its default address), short caches, the default platform tenant', () => {
  expect(loadPermissionConfig({})).toEqual({
    policyUrl: undefined,
    checkTimeoutMs: 1_000,
    cacheTtlMs: 5_000,
    denyCacheTtlMs: 1_000,
    cacheMaxEntries: 10_000,
    platformTenantId: 'default',
  });
});

test('values are parsed once; a trailing slash of the URL is dropped', () => {
  expect(loadPermissionConfig({
    AEGIS_POLICY_URL: 'http://policy.aegis:8082/',
    AEGIS_POLICY_CHECK_TIMEOUT_MS: '250ms',
    AEGIS_PERMISSION_CACHE_TTL_MS: '0',
    AEGIS_PERMISSION_CACHE_DENY_TTL_MS: '2s',
    AEGIS_PERMISSION_CACHE_MAX_ENTRIES: '500',
    AEGIS_AUTH_BOOTSTRAP_TENANT: 'platform',
  })).toEqual({ policyUrl: 'http://policy.aegis:8082', checkTimeoutMs: 250, cacheTtlMs: 0, denyCacheTtlMs: 2_000, cacheMaxEntries: 500, platformTenantId: 'platform' });
});

test('bad values stop start-up naming each variable', () => {
  let error: unknown;
  try {
    loadPermissionConfig({ AEGIS_POLICY_URL: 'policy:8082', AEGIS_PERMISSION_CACHE_MAX_ENTRIES: '0', AEGIS_POLICY_CHECK_TIMEOUT_MS: 'soon' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  for (const variable of ['AEGIS_POLICY_URL', 'AEGIS_PERMISSION_CACHE_MAX_ENTRIES', 'AEGIS_POLICY_CHECK_TIMEOUT_MS']) expect(message).toContain(variable);
});
