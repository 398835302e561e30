import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { IdentityProviderKind, IdentityProviderSchema, type IdentityProvider } from '@aegis/proto/aegis/auth/v1/identity_provider_pb.js';
import { invalidArgument, requirePresent } from '@aegis/shared';
import type { IdentityProviderRecord, ProviderKind } from '../domain/identity-provider.js';
import type { ProviderInput } from '../domain/provider-validation.js';

const KINDS: Record<ProviderKind, IdentityProviderKind> = {
  google: IdentityProviderKind.GOOGLE,
  microsoft: IdentityProviderKind.MICROSOFT,
  github: IdentityProviderKind.GITHUB,
  oidc: IdentityProviderKind.OIDC,
};

function kindFromProto(kind: IdentityProviderKind): ProviderKind | undefined {
  return (Object.keys(KINDS) as ProviderKind[]).find((k) => KINDS[k] === kind);
}

/** The request's `provider`, checked for presence and tenant. */
export function providerFromRequest(provider: IdentityProvider | undefined, tenantId: string): IdentityProvider {
  const p = requirePresent(provider, 'provider');
  if (p.tenantId !== '' && p.tenantId !== tenantId) throw invalidArgument('provider.tenant_id', 'must be empty or equal tenant_id');
  return p;
}

export function providerInput(p: IdentityProvider): ProviderInput {
  return {
    kind: kindFromProto(p.kind),
    displayName: p.displayName,
    issuerUrl: p.issuerUrl,
    clientId: p.clientId,
    scopes: p.scopes,
    requiredScopes: p.requiredScopes,
    allowedEmailDomains: p.allowedEmailDomains,
    requireMfa: p.requireMfa,
    mfaAmrValues: p.mfaAmrValues,
    defaultRoles: p.defaultRoles,
    enabled: p.enabled,
  };
}

/** Never carries the secret: only whether one is stored. */
export function providerToProto(r: IdentityProviderRecord): IdentityProvider {
  return create(IdentityProviderSchema, {
    tenantId: r.tenantId,
    providerId: r.providerId,
    kind: KINDS[r.kind],
    displayName: r.displayName,
    issuerUrl: r.issuerUrl,
    clientId: r.clientId,
    clientSecretSet: r.sealedClientSecret !== null,
    scopes: r.scopes,
    requiredScopes: r.requiredScopes,
    allowedEmailDomains: r.allowedEmailDomains,
    requireMfa: r.requireMfa,
    mfaAmrValues: r.mfaAmrValues,
    defaultRoles: r.defaultRoles,
    enabled: r.enabled,
    version: BigInt(r.version),
    createTime: timestampFromDate(r.createTime),
    updateTime: timestampFromDate(r.updateTime),
  });
}
