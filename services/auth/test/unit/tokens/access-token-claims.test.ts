import { accessTokenClaims, expiryOf, MAX_ACCESS_TOKEN_TTL_MS } from '../../../src/tokens/domain/access-token.js';
import { permissionsForRoles, primaryRole, ROLE_PERMISSIONS } from '../../../src/tokens/domain/role-permissions.js';

const now = new Date('2026-01-30T10:00:00.750Z');
const base = {
  issuer: 'https://auth.aegis.test',
  audience: ['aegis'],
  ttlMs: 15 * 60_000,
  now,
  jti: '8e3c1c0e-6f7a-4a43-9f0e-2b6f8f3f9a10',
  subject: { tenantId: 'acme', userId: 'u-1', roles: ['developer', 'ai_analyst'], scopes: [] as string[] },
};

describe('access-token claims', () => {
  test('the plan\'s claims plus aud, jti, nbf and tenant; times in whole seconds', () => {
    const claims = accessTokenClaims(base);
    const iat = Math.floor(now.getTime() / 1000);
    expect(claims).toEqual({
      iss: 'https://auth.aegis.test',
      sub: 'u-1',
      aud: 'aegis',
      iat,
      nbf: iat,
      exp: Math.floor((now.getTime() + 15 * 60_000) / 1000),
      jti: base.jti,
      tenant: 'acme',
      role: 'developer',
      roles: ['developer', 'ai_analyst'],
      permissions: ROLE_PERMISSIONS.developer.slice().sort(),
    });
    expect(expiryOf(claims).getTime()).toBeLessThanOrEqual(now.getTime() + base.ttlMs);
  });

  test('sid, amr and scope appear only when given; several audiences are a list', () => {
    const claims = accessTokenClaims({ ...base, audience: ['aegis', 'billing'], subject: { ...base.subject, sessionId: 's-1', amr: ['pwd', 'mfa'], scopes: ['agent:read', 'tool:read'] } });
    expect(claims).toMatchObject({ aud: ['aegis', 'billing'], sid: 's-1', amr: ['pwd', 'mfa'], scope: 'agent:read tool:read' });
    const bare = accessTokenClaims({ ...base, subject: { ...base.subject, sessionId: '', amr: [] } });
    expect(Object.keys(bare)).not.toEqual(expect.arrayContaining(['sid']));
    expect('amr' in bare || 'scope' in bare || 'sid' in bare).toBe(false);
  });

  test.each([[59_999], [MAX_ACCESS_TOKEN_TTL_MS + 1], [Number.NaN]])('a lifetime of %s ms is refused', (ttlMs) => {
    expect(() => accessTokenClaims({ ...base, ttlMs })).toThrow(RangeError);
  });

  test('no audience is refused', () => {
    expect(() => accessTokenClaims({ ...base, audience: [] })).toThrow(RangeError);
  });
});

describe('the plan\'s role -> permission table', () => {
  test('admin holds everything, written as "*" alone', () => {
    expect(permissionsForRoles(['viewer', 'admin'])).toEqual(['*']);
  });

  test('several roles give the union, sorted, without duplicates; custom roles add nothing here', () => {
    const union = permissionsForRoles(['viewer', 'operator', 'ai_analyst']);
    expect(union).toEqual([...new Set([...ROLE_PERMISSIONS.viewer, ...ROLE_PERMISSIONS.operator])].sort());
    expect(permissionsForRoles(['ai_analyst'])).toEqual([]);
  });

  test('the plan\'s exact lists: a viewer reads, an operator executes, only a developer writes', () => {
    expect(ROLE_PERMISSIONS.viewer).toEqual(['agent:read', 'workflow:read', 'tool:read', 'memory:read']);
    expect(ROLE_PERMISSIONS.operator).toContain('workflow:execute');
    expect(ROLE_PERMISSIONS.operator).not.toContain('memory:write');
    expect(ROLE_PERMISSIONS.developer).toContain('memory:write');
    expect(ROLE_PERMISSIONS.developer).not.toContain('agent:delete');
  });

  test('the single role claim is the most privileged built-in role, else the first', () => {
    expect(primaryRole(['viewer', 'developer'])).toBe('developer');
    expect(primaryRole(['ai_analyst', 'operator'])).toBe('operator');
    expect(primaryRole(['ai_analyst', 'data_scientist'])).toBe('ai_analyst');
    expect(primaryRole([])).toBe('');
  });
});
