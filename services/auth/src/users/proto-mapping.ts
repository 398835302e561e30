import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Tenant, TenantSchema } from '@aegis/proto/aegis/auth/v1/tenant_pb.js';
import { type User, UserSchema, UserStatus } from '@aegis/proto/aegis/auth/v1/user_pb.js';
import type { UserRecord } from '../module-ports.js';
import type { StoredTenant } from './domain/tenant.js';
import type { StoredUser } from './domain/user.js';
import type { LinkedIdentityRecord } from './ports.js';

export function userToProto(user: StoredUser, identities: LinkedIdentityRecord[] = []): User {
  return create(UserSchema, {
    tenantId: user.tenantId,
    userId: user.id,
    email: user.email ?? '',
    displayName: user.displayName,
    roles: user.roles,
    attributes: user.attributes,
    status: user.disabledAt === null ? UserStatus.ACTIVE : UserStatus.DISABLED,
    identities: identities.map((i) => ({ providerId: i.providerId, subject: i.subject, linkTime: timestampFromDate(i.linkTime) })),
    version: user.version,
    createTime: timestampFromDate(user.createTime),
    updateTime: timestampFromDate(user.updateTime),
    ...(user.lastLoginTime !== null ? { lastLoginTime: timestampFromDate(user.lastLoginTime) } : {}),
  });
}

export function tenantToProto(tenant: StoredTenant): Tenant {
  return create(TenantSchema, {
    tenantId: tenant.id,
    displayName: tenant.displayName,
    timeZone: tenant.timeZone,
    ...(tenant.businessHours !== null ? { businessHours: tenant.businessHours } : {}),
    disabled: tenant.disabledAt !== null,
    version: tenant.version,
    createTime: timestampFromDate(tenant.createTime),
    updateTime: timestampFromDate(tenant.updateTime),
  });
}

/** The cross-module view (module-ports.ts `UserRecord`). */
export function userToRecord(user: StoredUser): UserRecord {
  return {
    tenantId: user.tenantId,
    userId: user.id,
    email: user.email,
    displayName: user.displayName,
    roles: user.roles,
    disabled: user.disabledAt !== null,
  };
}
