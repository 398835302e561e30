import { clone, create, fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ChangeKind, ChangeSchema, type Change } from '@aegis/proto/aegis/policy/v1/change_pb.js';
import { aborted, alreadyExists, notFound, type SqlExecutor } from '@aegis/shared';
import { encodePolicyChange, POLICY_CHANGED_CHANNEL } from './change-notification.js';

/** What roles and policies share as stored documents. */
export interface VersionedMessage {
  readonly $typeName: string;
  tenantId: string;
  name: string;
  lastChange?: Change;
}

export interface DocumentKind<T extends VersionedMessage> {
  /** For messages: "role", "policy". */
  readonly noun: string;
  readonly table: 'roles' | 'policies';
  readonly revisionsTable: 'role_revisions' | 'policy_revisions';
  readonly schema: GenMessage<T>;
  /** Extra refusal before a deletion, inside its transaction (e.g. a role still inherited). */
  readonly beforeDelete?: (tx: SqlExecutor, tenantId: string, name: string) => Promise<void>;
}

export interface StoredRevision<T> {
  content: T;
  change: Change;
}

interface DocumentRow {
  tenant_id: string;
  name: string;
  version: string;
  revision: string;
  change_kind: KindName;
  content: JsonValue;
  time: Date;
  author: string;
}

type KindName = 'created' | 'updated' | 'deleted';
const KIND: Record<KindName, ChangeKind> = {
  created: ChangeKind.CREATED,
  updated: ChangeKind.UPDATED,
  deleted: ChangeKind.DELETED,
};

/**
 * The SQL of one document kind (roles or policies): a current-content table with a
 * soft-deleted row per name, and an append-only revision table. Writers run inside the
 * caller's transaction and first bump the tenant's policy version, whose row lock
 * serialises every write of a tenant: checks made afterwards see all earlier commits.
 */
export class VersionedDocuments<T extends VersionedMessage> {
  private readonly columns: string;

  constructor(private readonly kind: DocumentKind<T>) {
    this.columns = `tenant_id, name, version, revision, change_kind, content, update_time AS time, updated_by AS author`;
  }

  async create(tx: SqlExecutor, tenantId: string, message: T, changedBy: string): Promise<T> {
    const revision = await bumpPolicyVersion(tx, tenantId);
    const existing = await this.lockCurrent(tx, tenantId, message.name);
    if (existing && existing.change_kind !== 'deleted') throw alreadyExists(this.kind.noun, message.name);
    // A name created again after deletion continues its version count, so its history
    // stays one sequence and every revision keeps a distinct version.
    const version = existing ? BigInt(existing.version) + 1n : 1n;
    return this.write(tx, tenantId, message, { version, revision, kind: 'created', changedBy });
  }

  async update(tx: SqlExecutor, tenantId: string, message: T, changedBy: string, expectedVersion = 0n): Promise<T> {
    const revision = await bumpPolicyVersion(tx, tenantId);
    const existing = await this.requireLive(tx, tenantId, message.name, expectedVersion);
    return this.write(tx, tenantId, message, { version: BigInt(existing.version) + 1n, revision, kind: 'updated', changedBy });
  }

  async delete(tx: SqlExecutor, tenantId: string, name: string, changedBy: string, expectedVersion = 0n): Promise<bigint> {
    const revision = await bumpPolicyVersion(tx, tenantId);
    const existing = await this.requireLive(tx, tenantId, name, expectedVersion);
    await this.kind.beforeDelete?.(tx, tenantId, name);
    // The revision keeps the last content, as the contract asks.
    const last = this.decode(existing).content;
    await this.write(tx, tenantId, last, { version: BigInt(existing.version) + 1n, revision, kind: 'deleted', changedBy });
    return revision;
  }

  async get(db: SqlExecutor, tenantId: string, name: string): Promise<T | undefined> {
    const { rows } = await db.query<DocumentRow>(
      `SELECT ${this.columns} FROM ${this.kind.table} WHERE tenant_id = $1 AND name = $2 AND NOT deleted`,
      [tenantId, name],
    );
    return rows[0] && this.message(rows[0]);
  }

  /** Live documents by name after `afterName`, at most `limit`. */
  async list(db: SqlExecutor, tenantId: string, limit: number, afterName?: string): Promise<T[]> {
    const { rows } = await db.query<DocumentRow>(
      `SELECT ${this.columns} FROM ${this.kind.table}
        WHERE tenant_id = $1 AND NOT deleted AND ($2::text IS NULL OR name > $2)
        ORDER BY name LIMIT $3`,
      [tenantId, afterName ?? null, limit],
    );
    return rows.map((row) => this.message(row));
  }

  /** Every live document of one tenant, or of all tenants when `tenantId` is undefined, by tenant and name. */
  async live(db: SqlExecutor, tenantId?: string): Promise<T[]> {
    const { rows } = await db.query<DocumentRow>(
      `SELECT ${this.columns} FROM ${this.kind.table}
        WHERE NOT deleted AND ($1::text IS NULL OR tenant_id = $1)
        ORDER BY tenant_id, name`,
      [tenantId ?? null],
    );
    return rows.map((row) => this.message(row));
  }

  /** Versions newest first, below `beforeVersion`, at most `limit`. */
  async revisions(db: SqlExecutor, tenantId: string, name: string, limit: number, beforeVersion?: bigint): Promise<StoredRevision<T>[]> {
    const { rows } = await db.query<DocumentRow>(
      `SELECT tenant_id, name, version, revision, change_kind, content, change_time AS time, changed_by AS author
         FROM ${this.kind.revisionsTable}
        WHERE tenant_id = $1 AND name = $2 AND ($3::bigint IS NULL OR version < $3)
        ORDER BY version DESC LIMIT $4`,
      [tenantId, name, beforeVersion?.toString() ?? null, limit],
    );
    return rows.map((row) => this.decode(row));
  }

  private async lockCurrent(tx: SqlExecutor, tenantId: string, name: string): Promise<DocumentRow | undefined> {
    const { rows } = await tx.query<DocumentRow>(
      `SELECT ${this.columns} FROM ${this.kind.table} WHERE tenant_id = $1 AND name = $2 FOR UPDATE`,
      [tenantId, name],
    );
    return rows[0];
  }

  private async requireLive(tx: SqlExecutor, tenantId: string, name: string, expectedVersion: bigint): Promise<DocumentRow> {
    const existing = await this.lockCurrent(tx, tenantId, name);
    if (!existing || existing.change_kind === 'deleted') throw notFound(this.kind.noun, name);
    if (expectedVersion !== 0n && BigInt(existing.version) !== expectedVersion) {
      throw aborted(`${this.kind.noun} ${name} is at version ${existing.version}, not ${expectedVersion}: read it again and retry`);
    }
    return existing;
  }

  private async write(
    tx: SqlExecutor,
    tenantId: string,
    message: T,
    change: { version: bigint; revision: bigint; kind: KindName; changedBy: string },
  ): Promise<T> {
    const content = this.content(message);
    // Sent as text: both engines read a JSON string into jsonb the same way.
    const params = [tenantId, message.name, change.version.toString(), change.revision.toString(), change.kind, JSON.stringify(content), change.changedBy];
    const { rows } = await tx.query<{ time: Date }>(
      `INSERT INTO ${this.kind.table} (tenant_id, name, version, revision, change_kind, content, update_time, updated_by, deleted)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, now(), $7, $5::text = 'deleted')
       ON CONFLICT (tenant_id, name) DO UPDATE
         SET version = EXCLUDED.version, revision = EXCLUDED.revision, change_kind = EXCLUDED.change_kind,
             content = EXCLUDED.content, update_time = EXCLUDED.update_time, updated_by = EXCLUDED.updated_by,
             deleted = EXCLUDED.deleted
       RETURNING update_time AS time`,
      params,
    );
    await tx.query(
      `INSERT INTO ${this.kind.revisionsTable} (tenant_id, name, version, revision, change_kind, content, change_time, changed_by)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, now(), $7)`,
      params,
    );
    await tx.query('SELECT pg_notify($1, $2)', [POLICY_CHANGED_CHANNEL, encodePolicyChange({ tenantId, policyVersion: change.revision })]);
    const time = rows[0]?.time ?? new Date();
    return this.withChange(this.fromContent(content), tenantId, changeOf(change, time));
  }

  // Tenant id and last change live in columns; keeping them out of the JSON means a
  // document's content never disagrees with the row it sits in.
  private content(message: T): JsonValue {
    const stripped = clone(this.kind.schema, message);
    stripped.tenantId = '';
    stripped.lastChange = undefined;
    return toJson(this.kind.schema, stripped);
  }

  // Unknown fields are ignored so that during a rolling deploy an older instance can still
  // read content written by a newer one that added a field.
  private fromContent(content: JsonValue): T {
    return fromJson(this.kind.schema, content, { ignoreUnknownFields: true });
  }

  private decode(row: DocumentRow): StoredRevision<T> {
    const change = changeOf(
      { version: BigInt(row.version), revision: BigInt(row.revision), kind: row.change_kind, changedBy: row.author },
      row.time,
    );
    return { content: this.withChange(this.fromContent(row.content), row.tenant_id, change), change };
  }

  private message(row: DocumentRow): T {
    return this.decode(row).content;
  }

  private withChange(message: T, tenantId: string, change: Change): T {
    message.tenantId = tenantId;
    message.lastChange = change;
    return message;
  }
}

function changeOf(change: { version: bigint; revision: bigint; kind: KindName; changedBy: string }, time: Date): Change {
  return create(ChangeSchema, {
    version: change.version,
    revision: change.revision,
    kind: KIND[change.kind],
    changeTime: timestampFromDate(time),
    changedBy: change.changedBy,
  });
}

/** The tenant's next policy version; also takes the tenant's write lock until commit. */
export async function bumpPolicyVersion(tx: SqlExecutor, tenantId: string): Promise<bigint> {
  const { rows } = await tx.query<{ policy_version: string }>(
    `INSERT INTO tenant_policy_versions AS v (tenant_id, policy_version) VALUES ($1, 1)
     ON CONFLICT (tenant_id) DO UPDATE SET policy_version = v.policy_version + 1, update_time = now()
     RETURNING policy_version`,
    [tenantId],
  );
  return BigInt(rows[0]!.policy_version);
}
