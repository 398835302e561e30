import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { BudgetService } from '@aegis/proto/aegis/billing/v1/budget_service_pb.js';
import { AuditLogService } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { readCredential, serviceUrl } from '../../src/server/connection.js';
import { serviceOf } from '../../src/server/server-command.js';

// Where each service is reached: its own flag, its own variable, the shared --url/AEGIS_URL
// (one URL when it names a port; each service's default port on that host when not), defaults.

test('a service flag beats its variable, which beats the shared URL, which beats the default', () => {
  const env = { AEGIS_BILLING_URL: 'http://billing.internal:9000/', AEGIS_URL: 'http://aegis.internal' };
  expect(serviceUrl('billing', { 'billing-url': 'https://b.example' }, env)).toEqual({ url: 'https://b.example' });
  expect(serviceUrl('billing', {}, env)).toEqual({ url: 'http://billing.internal:9000' });
  expect(serviceUrl('policy', {}, env)).toEqual({ url: 'http://aegis.internal:8082' });
  expect(serviceUrl('policy', { url: 'http://other' }, env)).toEqual({ url: 'http://other:8082' });
  expect(serviceUrl('pii', {}, {})).toEqual({ url: 'http://127.0.0.1:8084' });
});

test('a shared URL with a port (a gateway routing by RPC path) is used as is for every service', () => {
  for (const service of ['auth', 'ratelimit'] as const) {
    expect(serviceUrl(service, {}, { AEGIS_URL: 'https://gateway.example:443/aegis' })).toEqual({ url: 'https://gateway.example:443/aegis' });
  }
  expect(serviceUrl('auth', {}, { AEGIS_URL: 'http://[::1]' })).toEqual({ url: 'http://[::1]:8081' });
});

test('a URL that is not http(s) is a problem naming where it came from', () => {
  expect(serviceUrl('auth', {}, { AEGIS_AUTH_URL: 'localhost:8081' })).toEqual({ problem: 'AEGIS_AUTH_URL must be an http:// or https:// URL' });
  expect(serviceUrl('auth', { url: 'grpc://x' }, {})).toEqual({ problem: '--url must be an http:// or https:// URL' });
});

test('the credential: the file, else AEGIS_API_KEY; problems never quote it', async () => {
  expect(await readCredential(undefined, { AEGIS_API_KEY: ' k1 ' })).toEqual({ key: 'k1' });
  expect(await readCredential(undefined, {})).toEqual({ problem: 'no credential: set AEGIS_API_KEY or pass --api-key-file' });
  expect(await readCredential('/nonexistent/key', { AEGIS_API_KEY: 'k1' })).toEqual({ problem: '--api-key-file: cannot read /nonexistent/key' });
});

test('the audit sink is a service like the others: AEGIS_AUDIT_URL, else the shared URL at port 8086', () => {
  expect(serviceUrl('audit', {}, {})).toEqual({ url: 'http://127.0.0.1:8086' });
  expect(serviceUrl('audit', {}, { AEGIS_URL: 'http://aegis.internal' })).toEqual({ url: 'http://aegis.internal:8086' });
  expect(serviceUrl('audit', { 'audit-url': 'http://sink:9000/' }, { AEGIS_AUDIT_URL: 'http://other' })).toEqual({ url: 'http://sink:9000' });
});

test('each RPC service maps to the Aegis service that serves it; AuditLogService to the audit sink, not "events"', () => {
  expect(serviceOf(AuditLogService)).toBe('audit');
  expect(serviceOf(BudgetService)).toBe('billing');
  expect(serviceOf(ApiKeyService)).toBe('auth');
  expect(() => serviceOf({ typeName: 'aegis.events.v1.SomethingElse' })).toThrow('no Aegis service serves aegis.events.v1.SomethingElse');
});
