import { looksLikeJwt, principalFromClaims, MalformedClaimsError } from '../../../../src/auth/jwt/index.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';

describe('looksLikeJwt', () => {
  test.each([
    ['eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln', true],
    // alg none tokens have an empty signature; they are still JWT-shaped, and the verifier refuses them.
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.', true],
    ['genxai_live_0123456789abcdefghijABCDEFGHIJ012345', false],
    ['aegis_rt_0123456789abcdefghijABCDEFGHIJ0123456789abc', false],
    ['eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0', false],
    ['eyJ.a.b.c.d', false],
    ['abc.def.ghi', false],
    ['eyJ hbG.e30.x', false],
    ['', false],
  ])('%s -> %s', (credential, expected) => {
    expect(looksLikeJwt(credential)).toBe(expected);
  });
});

describe('principalFromClaims', () => {
  test('maps the claims to a USER principal; `role` alone stands in for `roles`', () => {
    expect(principalFromClaims({ sub: 'u-1', tenant: 'acme', role: 'viewer', permissions: ['agent:read'] })).toMatchObject({
      tenantId: 'acme', type: PrincipalType.USER, id: 'u-1', userId: 'u-1', roles: ['viewer'], permissions: ['agent:read'], scopes: [], sessionId: '',
    });
    expect(principalFromClaims({ sub: 'u-1', tenant: 'acme', role: 'admin', roles: ['admin', 'ai_analyst'], scope: ' a  b ', sid: 's' })).toMatchObject({
      roles: ['admin', 'ai_analyst'], scopes: ['a', 'b'], sessionId: 's',
    });
  });

  test.each([
    [{ tenant: 'acme' }],
    [{ sub: '', tenant: 'acme' }],
    [{ sub: 'u', tenant: 'Acme!' }],
    [{ sub: 'u', tenant: 'acme', permissions: 'agent:read' }],
    [{ sub: 'u', tenant: 'acme', scope: ['a'] }],
    [{ sub: 'u', tenant: 'acme', sid: 42 }],
  ])('refuses %j', (claims) => {
    expect(() => principalFromClaims(claims)).toThrow(MalformedClaimsError);
  });
});
