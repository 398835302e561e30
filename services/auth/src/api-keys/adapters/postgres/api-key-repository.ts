import { alreadyExists, notFound, type SqlDatabase, type SqlExecutor } from '@aegis/shared';
import type { ApiKeyRecord, KeyPatch, NewApiKey } from '../../domain/api-key-record.js';
import type { ApiKeyListQuery, ApiKeyRepository, KeyChange, KeyOwner, KeyRef, RateLimitTierName, RotationPlan } from '../../ports.js';

const COLUMNS = `id, tenant_id, user_id, name, environment, digest, hint, roles, scopes, tier, metadata,
  expires_at, disabled_at, revoked_at, create_time, last_used_time, rotated_from, rotated_to, version`;

interface KeyRow {
  id: string;
  tenant_id: string;
  user_id: string;
  name: string;
  environment: string;
  digest: Uint8Array;
  hint: string;
  roles: string[];
  scopes: string[];
  tier: RateLimitTierName;
  metadata: Record<string, string>;
  expires_at: Date | null;
  disabled_at: Date | null;
  revoked_at: Date | null;
  create_time: Date;
  last_used_time: Date | null;
  rotated_from: string | null;
  rotated_to: string | null;
  version: string;
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

/** Key management on Postgres/PGlite. Changes lock the row (SELECT ... FOR UPDATE) so concurrent RPCs serialise. */
export class PostgresApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: SqlDatabase) {}

  async findOwner(tenantId: string, userId: string): Promise<KeyOwner | undefined> {
    const { rows } = await this.db.query<{ roles: string[]; disabled: boolean }>(
      `SELECT u.roles, (u.disabled_at IS NOT NULL OR t.disabled_at IS NOT NULL) AS disabled
         FROM users u JOIN tenants t ON t.id = u.tenant_id
        WHERE u.tenant_id = $1 AND u.id = $2`,
      [tenantId, userId],
    );
    return rows[0];
  }

  async insert(key: NewApiKey): Promise<ApiKeyRecord> {
    return toRecord(await insertKey(this.db, key));
  }

  async get(tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2`, [tenantId, keyId]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async list(query: ApiKeyListQuery): Promise<ApiKeyRecord[]> {
    const params: unknown[] = [query.tenantId];
    const where = ['tenant_id = $1'];
    if (query.userId !== undefined) where.push(`user_id = $${params.push(query.userId)}`);
    if (!query.includeRevoked) {
      // Revoked keys, and keys rotated away whose grace period is over (see isRetired).
      where.push(`revoked_at IS NULL AND NOT (rotated_to IS NOT NULL AND expires_at <= $${params.push(query.now)})`);
    }
    if (query.beforeKeyId !== undefined) where.push(`id < $${params.push(query.beforeKeyId)}`);
    const limit = `$${params.push(query.limit)}`;
    const { rows } = await this.db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${limit}`, params);
    return rows.map(toRecord);
  }

  change(tenantId: string, keyId: string, decide: (current: ApiKeyRecord) => KeyChange): Promise<{ record: ApiKeyRecord; changed: boolean } | undefined> {
    return translateConflicts(this.db.transaction(async (tx) => {
      const current = await lockKey(tx, tenantId, keyId);
      if (current === undefined) return undefined;
      const change = decide(current);
      if (change.kind === 'unchanged') return { record: current, changed: false };
      return { record: toRecord(await applyPatch(tx, keyId, change.patch)), changed: true };
    }));
  }

  rotate(tenantId: string, keyId: string, plan: (current: ApiKeyRecord) => RotationPlan): Promise<{ previous: ApiKeyRecord; next: ApiKeyRecord } | undefined> {
    return translateConflicts(this.db.transaction(async (tx) => {
      const current = await lockKey(tx, tenantId, keyId);
      if (current === undefined) return undefined;
      const { next, previousExpiresAt } = plan(current);
      // The old key first: once it points at its successor it no longer holds the name, and
      // the deferred foreign key lets it point at a row inserted just after.
      const { rows } = await tx.query<KeyRow>(
        `UPDATE api_keys SET rotated_to = $2, expires_at = $3, version = version + 1 WHERE id = $1 RETURNING ${COLUMNS}`,
        [keyId, next.id, previousExpiresAt],
      );
      const inserted = await insertKey(tx, next);
      return { previous: toRecord(rows[0]!), next: toRecord(inserted) };
    }));
  }

  async keysOfUser(tenantId: string, userId: string): Promise<KeyRef[]> {
    const { rows } = await this.db.query<{ id: string; digest: Uint8Array }>(
      'SELECT id, digest FROM api_keys WHERE tenant_id = $1 AND user_id = $2',
      [tenantId, userId],
    );
    return rows.map((row) => ({ tenantId, keyId: row.id, digest: row.digest }));
  }
}

async function insertKey(db: SqlExecutor, key: NewApiKey): Promise<KeyRow> {
  const { rows } = await db.query<KeyRow>(
    `INSERT INTO api_keys (id, tenant_id, user_id, name, environment, digest, hint, roles, scopes, tier, metadata, expires_at, rotated_from)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     RETURNING ${COLUMNS}`,
    [key.id, key.tenantId, key.userId, key.name, key.environment, key.digest, key.hint, key.roles, key.scopes ?? [], key.tier,
      JSON.stringify(key.metadata ?? {}), key.expiresAt ?? null, key.rotatedFrom ?? null],
  ).catch((err: unknown) => {
    if (sqlState(err) === UNIQUE_VIOLATION && constraintOf(err) === 'api_keys_live_name') {
      throw alreadyExists(`api key named "${key.name}" of user`, key.userId);
    }
    // The owner was deleted between the owner check and this insert.
    if (sqlState(err) === FOREIGN_KEY_VIOLATION && constraintOf(err) === 'api_keys_tenant_id_user_id_fkey') throw notFound('user', key.userId);
    throw err;
  });
  return rows[0]!;
}

async function lockKey(tx: SqlExecutor, tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
  const { rows } = await tx.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, keyId]);
  return rows[0] === undefined ? undefined : toRecord(rows[0]);
}

async function applyPatch(tx: SqlExecutor, keyId: string, patch: KeyPatch): Promise<KeyRow> {
  const params: unknown[] = [keyId];
  const sets: string[] = [];
  const set = (column: string, value: unknown) => sets.push(`${column} = $${params.push(value)}`);
  if (patch.name !== undefined) set('name', patch.name);
  if (patch.roles !== undefined) set('roles', patch.roles);
  if (patch.scopes !== undefined) set('scopes', patch.scopes);
  if (patch.tier !== undefined) set('tier', patch.tier);
  if (patch.metadata !== undefined) set('metadata', JSON.stringify(patch.metadata));
  if (patch.expiresAt !== undefined) set('expires_at', patch.expiresAt);
  if (patch.disabledAt !== undefined) set('disabled_at', patch.disabledAt);
  if (patch.revokedAt !== undefined) set('revoked_at', patch.revokedAt);
  const { rows } = await tx.query<KeyRow>(
    `UPDATE api_keys SET ${[...sets, 'version = version + 1'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    params,
  );
  return rows[0]!;
}

/** A rename onto a name the owner already uses on a live key: AlreadyExists, as the contract says. */
async function translateConflicts<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION && constraintOf(err) === 'api_keys_live_name') throw alreadyExists('an api key of this owner with that name');
    throw err;
  }
}

function sqlState(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined;
}

function constraintOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as { constraint?: string }).constraint : undefined;
}

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    name: row.name,
    environment: row.environment,
    digest: row.digest,
    hint: row.hint,
    roles: row.roles,
    scopes: row.scopes,
    tier: row.tier,
    metadata: row.metadata,
    expiresAt: row.expires_at,
    disabledAt: row.disabled_at,
    revokedAt: row.revoked_at,
    createTime: row.create_time,
    lastUsedTime: row.last_used_time,
    rotatedFrom: row.rotated_from,
    rotatedTo: row.rotated_to,
    version: BigInt(row.version),
  };
}
