import { create } from '@bufbuild/protobuf';
import { Code, createContextValues, createHandlerContext } from '@connectrpc/connect';
import { ApiKeyService } from '@aegis/proto/aegis/auth/v1/api_key_service_pb.js';
import { TenantService } from '@aegis/proto/aegis/auth/v1/tenant_service_pb.js';
import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { PrincipalSchema, type Principal } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import type { DescMethod, MessageInitShape } from '@bufbuild/protobuf';
import { principalKey, toConnectError } from '@aegis/shared';
import { Authorizer } from '../../src/authorization.js';

const authorizer = new Authorizer('platform');

function ctxFor(method: DescMethod, principal: Principal | undefined) {
  const values = createContextValues();
  if (principal !== undefined) values.set(principalKey, principal);
  return createHandlerContext({
    service: method.parent,
    method,
    protocolName: 'connect',
    requestMethod: 'POST',
    url: 'http://localhost/x',
    contextValues: values,
  });
}

const principal = (init: MessageInitShape<typeof PrincipalSchema>) => create(PrincipalSchema, { tenantId: 'acme', userId: 'u1', ...init });

function codeOf(fn: () => unknown): Code | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return toConnectError(err).code;
  }
}

test('no principal is Unauthenticated', () => {
  expect(codeOf(() => authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, undefined), { tenantId: 'acme' }))).toBe(Code.Unauthenticated);
});

test('a tenant admin may act in its own tenant only', () => {
  const admin = principal({ roles: ['admin'] });
  expect(authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, admin), { tenantId: 'acme' })).toBe(admin);
  expect(codeOf(() => authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, admin), { tenantId: 'other' }))).toBe(Code.PermissionDenied);
});

test('principals of the platform tenant may act in any tenant (with the permission)', () => {
  const platformAdmin = principal({ tenantId: 'platform', roles: ['admin'] });
  expect(authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, platformAdmin), { tenantId: 'acme' })).toBe(platformAdmin);
  const platformViewer = principal({ tenantId: 'platform', roles: ['viewer'] });
  expect(codeOf(() => authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, platformViewer), { tenantId: 'acme' }))).toBe(Code.PermissionDenied);
});

test('platform-scoped RPCs need a principal of the platform tenant, even for a tenant admin', () => {
  const tenantAdmin = principal({ roles: ['admin'] });
  expect(codeOf(() => authorizer.authorize(ctxFor(TenantService.method.createTenant, tenantAdmin), { tenantId: 'acme' }))).toBe(Code.PermissionDenied);
  const platformAdmin = principal({ tenantId: 'platform', roles: ['admin'] });
  expect(authorizer.authorize(ctxFor(TenantService.method.createTenant, platformAdmin), { tenantId: 'acme' })).toBe(platformAdmin);
  expect(codeOf(() => authorizer.authorize(ctxFor(TokenService.method.rotateSigningKey, principal({ tenantId: 'platform', roles: ['viewer'] })), { tenantId: '' }))).toBe(Code.PermissionDenied);
});

test('a named permission passes by exact grant or resource wildcard, and names what is missing otherwise', () => {
  const ctx = (p: Principal) => ctxFor(ApiKeyService.method.createApiKey, p);
  expect(() => authorizer.authorize(ctx(principal({ permissions: ['api_key:create'] })), { tenantId: 'acme' })).not.toThrow();
  expect(() => authorizer.authorize(ctx(principal({ permissions: ['api_key:*'] })), { tenantId: 'acme' })).not.toThrow();
  try {
    authorizer.authorize(ctx(principal({ roles: ['developer'] })), { tenantId: 'acme' });
    throw new Error('expected a denial');
  } catch (err) {
    expect(toConnectError(err).code).toBe(Code.PermissionDenied);
    expect(toConnectError(err).rawMessage).toContain('api_key:create');
  }
});

test('self-service: a user may manage their own keys but not another user\'s', () => {
  const dev = principal({ roles: ['developer'] });
  expect(() => authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, dev), { tenantId: 'acme', ownerUserId: 'u1' })).not.toThrow();
  expect(codeOf(() => authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, dev), { tenantId: 'acme', ownerUserId: 'u2' }))).toBe(Code.PermissionDenied);
  const platformNamesake = principal({ tenantId: 'platform', userId: 'u1', roles: ['developer'] });
  expect(codeOf(() => authorizer.authorize(ctxFor(ApiKeyService.method.createApiKey, platformNamesake), { tenantId: 'acme', ownerUserId: 'u1' }))).toBe(Code.PermissionDenied);
});
