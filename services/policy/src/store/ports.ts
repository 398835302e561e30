import type { Policy, PolicyRevision } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import type { Role, RoleRevision } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import type { BusinessHours } from '../domain/types.js';

/**
 * Everything a tenant's decisions depend on, read at one tenant revision. Immutable: a
 * reload builds a new snapshot and swaps it in, so a decision holding this one keeps a
 * complete, consistent view however long it takes. Do not mutate the messages either.
 */
export interface PolicySnapshot {
  readonly tenantId: string;
  /** Tenant-wide revision the snapshot was read at (0: the tenant never changed anything). */
  readonly policyVersion: bigint;
  /** Live roles, by name. Built-in roles are not stored: the engine supplies them. */
  readonly roles: readonly Role[];
  /** Live policies (enabled or not), by name. */
  readonly policies: readonly Policy[];
  /**
   * The tenant's business hours and time zone from auth (table `tenant_settings`, written by
   * ../tenants); absent until policy received them, and the engine's default applies.
   */
  readonly businessHours?: Readonly<BusinessHours>;
}

export interface CreateOptions {
  /** Principal id of the author (user id, API key id or service name). */
  changedBy: string;
}

export interface WriteOptions extends CreateOptions {
  /** The version the caller read; 0n or absent skips the check. A mismatch is Aborted. */
  expectedVersion?: bigint;
}

export interface PageRequest {
  /** 1-1000; 0 or absent means 100, above 1000 is capped, negative is InvalidArgument. */
  pageSize?: number;
  /** nextPageToken of the previous page; InvalidArgument when not one this store issued for the same listing. */
  pageToken?: string;
}

export interface Page<T> {
  items: T[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/**
 * Durable roles and policies of every tenant. Writes bump the tenant's policy version and
 * announce it (`policy_changed`) in the same transaction, keep every version in a revision
 * history, and fail as AegisErrors: NotFound, AlreadyExists, Aborted (expected version
 * mismatch), FailedPrecondition (deleting a role another role inherits).
 *
 * Content rules (names, permissions, conditions, inheritance cycles, built-in roles) are
 * the domain's: the store keeps whatever message it is given, with its own tenant id
 * and last_change filled in.
 */
export interface PolicyStore {
  createRole(tenantId: string, role: Role, options: CreateOptions): Promise<Role>;
  /** Undefined when the role does not exist or was deleted. */
  getRole(tenantId: string, name: string): Promise<Role | undefined>;
  listRoles(tenantId: string, page?: PageRequest): Promise<Page<Role>>;
  /** role.name selects the role; the rest replaces it. */
  updateRole(tenantId: string, role: Role, options: WriteOptions): Promise<Role>;
  /** Returns the tenant revision after the deletion. */
  deleteRole(tenantId: string, name: string, options: WriteOptions): Promise<{ revision: bigint }>;
  /** Newest first, deletions included. NotFound when the role never existed. */
  listRoleRevisions(tenantId: string, name: string, page?: PageRequest): Promise<Page<RoleRevision>>;

  createPolicy(tenantId: string, policy: Policy, options: CreateOptions): Promise<Policy>;
  getPolicy(tenantId: string, name: string): Promise<Policy | undefined>;
  listPolicies(tenantId: string, page?: PageRequest): Promise<Page<Policy>>;
  updatePolicy(tenantId: string, policy: Policy, options: WriteOptions): Promise<Policy>;
  deletePolicy(tenantId: string, name: string, options: WriteOptions): Promise<{ revision: bigint }>;
  listPolicyRevisions(tenantId: string, name: string, page?: PageRequest): Promise<Page<PolicyRevision>>;

  /** One tenant's live roles and policies, read in one consistent transaction. */
  loadSnapshot(tenantId: string): Promise<PolicySnapshot>;
  /** Every tenant that ever changed something, read in one consistent transaction. */
  loadAllSnapshots(): Promise<PolicySnapshot[]>;
  /** The current policy version of every tenant: a cheap check of which snapshots are stale. */
  policyVersions(): Promise<Map<string, bigint>>;
}
