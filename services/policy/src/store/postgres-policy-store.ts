import type { Policy, PolicyRevision } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { PolicyRevisionSchema, PolicySchema } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import type { Role, RoleRevision } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { RoleRevisionSchema, RoleSchema } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { create } from '@bufbuild/protobuf';
import { failedPrecondition, invalidArgument, notFound, type SqlDatabase, type SqlExecutor } from '@aegis/shared';
import { decodePageToken, encodePageToken, pageSizeOf } from './page-token.js';
import type { BusinessHours } from '../domain/types.js';
import type { CreateOptions, Page, PageRequest, PolicySnapshot, PolicyStore, WriteOptions } from './ports.js';
import { VersionedDocuments, type StoredRevision, type VersionedMessage } from './versioned-documents.js';

const roles = new VersionedDocuments<Role>({
  noun: 'role',
  table: 'roles',
  revisionsTable: 'role_revisions',
  schema: RoleSchema,
  // Checked under the tenant's write lock, so a concurrent update cannot add an
  // `inherits` of this role between the check and the deletion.
  async beforeDelete(tx, tenantId, name) {
    const { rows } = await tx.query<{ name: string }>(
      `SELECT name FROM roles
        WHERE tenant_id = $1 AND NOT deleted AND name <> $2 AND content->'inherits' @> jsonb_build_array($2::text)
        ORDER BY name LIMIT 5`,
      [tenantId, name],
    );
    if (rows.length > 0) {
      throw failedPrecondition(`role ${name} is inherited by ${rows.map((row) => row.name).join(', ')}: change those roles first`);
    }
  },
});

const policies = new VersionedDocuments<Policy>({ noun: 'policy', table: 'policies', revisionsTable: 'policy_revisions', schema: PolicySchema });

/** PolicyStore on the service's schema, on Postgres or PGlite alike. */
export class PostgresPolicyStore implements PolicyStore {
  constructor(private readonly db: SqlDatabase) {}

  createRole(tenantId: string, role: Role, options: CreateOptions): Promise<Role> {
    return this.db.transaction((tx) => roles.create(tx, tenantId, role, options.changedBy));
  }

  getRole(tenantId: string, name: string): Promise<Role | undefined> {
    return roles.get(this.db, tenantId, name);
  }

  listRoles(tenantId: string, page: PageRequest = {}): Promise<Page<Role>> {
    return listPage(this.db, roles, tenantId, `roles/${tenantId}`, page);
  }

  updateRole(tenantId: string, role: Role, options: WriteOptions): Promise<Role> {
    return this.db.transaction((tx) => roles.update(tx, tenantId, role, options.changedBy, options.expectedVersion));
  }

  async deleteRole(tenantId: string, name: string, options: WriteOptions): Promise<{ revision: bigint }> {
    const revision = await this.db.transaction((tx) => roles.delete(tx, tenantId, name, options.changedBy, options.expectedVersion));
    return { revision };
  }

  listRoleRevisions(tenantId: string, name: string, page: PageRequest = {}): Promise<Page<RoleRevision>> {
    return revisionPage(this.db, roles, tenantId, name, 'role', page, (stored) =>
      create(RoleRevisionSchema, { role: stored.content, change: stored.change }),
    );
  }

  createPolicy(tenantId: string, policy: Policy, options: CreateOptions): Promise<Policy> {
    return this.db.transaction((tx) => policies.create(tx, tenantId, policy, options.changedBy));
  }

  getPolicy(tenantId: string, name: string): Promise<Policy | undefined> {
    return policies.get(this.db, tenantId, name);
  }

  listPolicies(tenantId: string, page: PageRequest = {}): Promise<Page<Policy>> {
    return listPage(this.db, policies, tenantId, `policies/${tenantId}`, page);
  }

  updatePolicy(tenantId: string, policy: Policy, options: WriteOptions): Promise<Policy> {
    return this.db.transaction((tx) => policies.update(tx, tenantId, policy, options.changedBy, options.expectedVersion));
  }

  async deletePolicy(tenantId: string, name: string, options: WriteOptions): Promise<{ revision: bigint }> {
    const revision = await this.db.transaction((tx) => policies.delete(tx, tenantId, name, options.changedBy, options.expectedVersion));
    return { revision };
  }

  listPolicyRevisions(tenantId: string, name: string, page: PageRequest = {}): Promise<Page<PolicyRevision>> {
    return revisionPage(this.db, policies, tenantId, name, 'policy', page, (stored) =>
      create(PolicyRevisionSchema, { policy: stored.content, change: stored.change }),
    );
  }

  async loadSnapshot(tenantId: string): Promise<PolicySnapshot> {
    const [snapshot] = await this.readSnapshots(tenantId);
    return snapshot ?? freezeSnapshot({ tenantId, policyVersion: 0n, roles: [], policies: [] });
  }

  loadAllSnapshots(): Promise<PolicySnapshot[]> {
    return this.readSnapshots(undefined);
  }

  async policyVersions(): Promise<Map<string, bigint>> {
    const { rows } = await this.db.query<{ tenant_id: string; policy_version: string }>(
      'SELECT tenant_id, policy_version FROM tenant_policy_versions',
    );
    return new Map(rows.map((row) => [row.tenant_id, BigInt(row.policy_version)]));
  }

  // REPEATABLE READ: the version and both tables come from one database snapshot, so a
  // change committing mid-load can never leave a role from after it next to a version
  // from before it (READ COMMITTED would give each statement its own snapshot).
  private readSnapshots(tenantId: string | undefined): Promise<PolicySnapshot[]> {
    return this.db.transaction(async (tx) => {
      await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const versions = await tx.query<{ tenant_id: string; policy_version: string }>(
        `SELECT tenant_id, policy_version FROM tenant_policy_versions WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY tenant_id`,
        [tenantId ?? null],
      );
      const liveRoles = groupByTenant(await roles.live(tx, tenantId));
      const livePolicies = groupByTenant(await policies.live(tx, tenantId));
      const hours = await businessHoursByTenant(tx, tenantId);
      return versions.rows.map((row) => {
        const businessHours = hours.get(row.tenant_id);
        return freezeSnapshot({
          tenantId: row.tenant_id,
          policyVersion: BigInt(row.policy_version),
          roles: liveRoles.get(row.tenant_id) ?? [],
          policies: livePolicies.get(row.tenant_id) ?? [],
          ...(businessHours !== undefined ? { businessHours } : {}),
        });
      });
    });
  }
}

async function listPage<T extends VersionedMessage>(
  db: SqlExecutor,
  documents: VersionedDocuments<T>,
  tenantId: string,
  listing: string,
  page: PageRequest,
): Promise<Page<T>> {
  const limit = pageSizeOf(page.pageSize);
  const after = decodePageToken(page.pageToken, listing);
  // One extra row tells whether a next page exists without a COUNT.
  const found = await documents.list(db, tenantId, limit + 1, after);
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextPageToken: found.length > limit && last ? encodePageToken(listing, last.name) : '' };
}

async function revisionPage<T extends VersionedMessage, R>(
  db: SqlExecutor,
  documents: VersionedDocuments<T>,
  tenantId: string,
  name: string,
  noun: string,
  page: PageRequest,
  toMessage: (stored: StoredRevision<T>) => R,
): Promise<Page<R>> {
  const listing = `${noun}-revisions/${tenantId}/${name}`;
  const limit = pageSizeOf(page.pageSize);
  const cursor = decodePageToken(page.pageToken, listing);
  const before = cursor === undefined ? undefined : parseVersion(cursor);
  const found = await documents.revisions(db, tenantId, name, limit + 1, before);
  // Revisions are never removed, so an empty first page means the name never existed.
  if (found.length === 0 && before === undefined) throw notFound(noun, name);
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toMessage),
    nextPageToken: found.length > limit && last ? encodePageToken(listing, last.change.version.toString()) : '',
  };
}

function parseVersion(cursor: string): bigint {
  if (!/^[0-9]{1,19}$/.test(cursor)) throw invalidArgument('page_token', 'is not a token this service issued');
  return BigInt(cursor);
}

function groupByTenant<T extends VersionedMessage>(messages: T[]): Map<string, T[]> {
  const byTenant = new Map<string, T[]>();
  for (const message of messages) {
    const list = byTenant.get(message.tenantId);
    if (list) list.push(message);
    else byTenant.set(message.tenantId, [message]);
  }
  return byTenant;
}

// Written by ../tenants with a policy version bump, so a snapshot at a version includes the
// settings that version was bumped for.
async function businessHoursByTenant(tx: SqlExecutor, tenantId: string | undefined): Promise<Map<string, BusinessHours>> {
  const { rows } = await tx.query<{ tenant_id: string; time_zone: string; weekdays: number[]; start_minute: number; end_minute: number }>(
    'SELECT tenant_id, time_zone, weekdays, start_minute, end_minute FROM tenant_settings WHERE $1::text IS NULL OR tenant_id = $1',
    [tenantId ?? null],
  );
  return new Map(rows.map((row) => [row.tenant_id, Object.freeze({
    timeZone: row.time_zone,
    weekdays: Object.freeze(row.weekdays.map(Number)),
    startMinute: row.start_minute,
    endMinute: row.end_minute,
  })]));
}

function freezeSnapshot(snapshot: PolicySnapshot): PolicySnapshot {
  return Object.freeze({ ...snapshot, roles: Object.freeze([...snapshot.roles]), policies: Object.freeze([...snapshot.policies]) });
}
