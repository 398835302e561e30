import { auditView, decide, isSensitivePath, maskAttributes } from '../../../src/domain/index.js';
import { kaizenSet, request } from './fixtures.js';

test('a marked path masks itself and everything beneath it, nothing else', () => {
  expect(isSensitivePath('user.address.city', ['user.address'])).toBe(true);
  expect(isSensitivePath('user.address', ['user.address'])).toBe(true);
  expect(isSensitivePath('user.addressbook', ['user.address'])).toBe(false);
  expect(maskAttributes('user', { ssn: '123-45-6789', address: { city: 'Berlin', zip: '10115' }, department: 'finance' }, ['user.ssn', 'user.address.zip'])).toEqual({
    ssn: '***',
    address: { city: 'Berlin', zip: '***' },
    department: 'finance',
  });
});

test('the audit view masks marked principal, resource and request values', () => {
  const view = auditView({
    ...request({ user: { clearance_level: 'internal', email: 'a@b.c' }, resource: { kind: 'dataset', id: 'ds-1', attributes: { owner_email: 'o@b.c', size: 3 } } }),
    context: { now: 0, ip: '10.0.0.7', attributes: { session: 's-1' } },
    sensitiveAttributes: ['user.email', 'data.owner_email', 'request.ip'],
  });
  expect(view.principal.attributes).toEqual({ clearance_level: 'internal', email: '***' });
  expect(view.resource).toEqual({ kind: 'dataset', id: 'ds-1', attributes: { owner_email: '***', size: 3 } });
  expect(view.context).toEqual({ ip: '***', attributes: { session: 's-1' } });
  expect(JSON.stringify(view)).not.toMatch(/a@b\.c|o@b\.c|10\.0\.0\.7/);
});

test('explanations mask sensitive attribute values', () => {
  const set = kaizenSet();
  const req = request({ roles: ['admin'], user: { clearance_level: 'internal' }, resource: { kind: 'agent', attributes: { contains_pii: true } } });
  expect(decide(set, req).explanation).toContain('user.clearance_level internal < confidential');
  const masked = decide(set, { ...req, sensitiveAttributes: ['user.clearance_level'] });
  expect(masked.explanation).toBe('denied by pii_access_restriction: data.contains_pii = true and user.clearance_level *** < confidential');
});
