import { create } from '@bufbuild/protobuf';
import { type Principal, PrincipalSchema, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { TENANT_ID_PATTERN } from '../../validation/index.js';

/** The JOSE `typ` of every Aegis access token (RFC 9068), so an ID token or any other JWT signed with the same keys is never taken for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** What verifiers accept unless told otherwise: asymmetric only, so holding the public key never lets anyone sign. */
export const DEFAULT_ACCESS_TOKEN_ALGORITHMS: readonly string[] = ['EdDSA', 'ES256', 'RS256'];

/**
 * The payload of an Aegis access token: the GenXAI plan's claims (`sub`, `role`,
 * `permissions`, `exp`, `iat`, `iss`) plus `aud`, `jti`, `nbf`, `tenant`, and, when there is
 * one, the session (`sid`) and the login's authentication methods (`amr`).
 */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  tenant: string;
  /** The plan's single role: the user's most privileged built-in role, else its first role. */
  role: string;
  /** Every role of the user (the plan has one; users here may hold several). */
  roles: string[];
  /** Issue-time hint for local checks; the policy service stays authoritative. */
  permissions: string[];
  /** Narrowing scopes, space-separated as in RFC 8693 / RFC 9068. Absent: not narrowed. */
  scope?: string;
  sid?: string;
  amr?: string[];
}

/** Why a payload is not an access token, as a phrase safe to send (no claim values). */
export class MalformedClaimsError extends Error {}

/**
 * The principal an access token speaks for. Only the shape is checked here: signature,
 * time, issuer and audience were checked by the caller before.
 */
export function principalFromClaims(payload: Record<string, unknown>): Principal {
  const tenant = payload.tenant;
  if (typeof tenant !== 'string' || !TENANT_ID_PATTERN.test(tenant)) throw new MalformedClaimsError('the tenant claim is missing or malformed');
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub === '') throw new MalformedClaimsError('the sub claim is missing');
  const roles = stringList(payload.roles, 'roles') ?? (typeof payload.role === 'string' && payload.role !== '' ? [payload.role] : []);
  const permissions = stringList(payload.permissions, 'permissions') ?? [];
  const scope = payload.scope;
  if (scope !== undefined && typeof scope !== 'string') throw new MalformedClaimsError('the scope claim must be a string');
  const sid = payload.sid;
  if (sid !== undefined && (typeof sid !== 'string' || sid === '')) throw new MalformedClaimsError('the sid claim must be a non-empty string');
  return create(PrincipalSchema, {
    tenantId: tenant,
    type: PrincipalType.USER,
    id: sub,
    userId: sub,
    roles,
    permissions,
    scopes: scope === undefined ? [] : scope.split(' ').filter((s) => s !== ''),
    ...(sid !== undefined ? { sessionId: sid } : {}),
  });
}

function stringList(value: unknown, claim: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new MalformedClaimsError(`the ${claim} claim must be a list of strings`);
  return value as string[];
}
