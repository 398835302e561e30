import type { SqlDatabase } from '@aegis/shared';
import type { ApiKeyStore, BootstrapAdmin, RateLimitTierName, StoredApiKey } from '../../ports.js';

interface StoredKeyRow {
  id: string;
  tenant_id: string;
  user_id: string;
  digest: Uint8Array;
  roles: string[];
  owner_roles: string[];
  scopes: string[];
  tier: RateLimitTierName;
  expires_at: Date | null;
  disabled_at: Date | null;
  revoked_at: Date | null;
  owner_disabled: boolean;
}

/** The verification side on Postgres/PGlite: one indexed read per cache miss, batched writes. */
export class PostgresApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: SqlDatabase) {}

  async findByDigest(digest: Uint8Array): Promise<StoredApiKey | undefined> {
    const { rows } = await this.db.query<StoredKeyRow>(
      `SELECT k.id, k.tenant_id, k.user_id, k.digest, k.roles, u.roles AS owner_roles, k.scopes, k.tier,
              k.expires_at, k.disabled_at, k.revoked_at,
              (u.disabled_at IS NOT NULL OR t.disabled_at IS NOT NULL) AS owner_disabled
         FROM api_keys k
         JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id
         JOIN tenants t ON t.id = k.tenant_id
        WHERE k.digest = $1`,
      [digest],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      userId: row.user_id,
      digest: row.digest,
      roles: row.roles,
      ownerRoles: row.owner_roles,
      scopes: row.scopes,
      tier: row.tier,
      expiresAt: row.expires_at,
      disabledAt: row.disabled_at,
      revokedAt: row.revoked_at,
      ownerDisabled: row.owner_disabled,
    };
  }

  async recordLastUsed(uses: ReadonlyMap<string, Date>): Promise<void> {
    if (uses.size === 0) return;
    const ids = [...uses.keys()];
    const times = ids.map((id) => uses.get(id)!.toISOString());
    // GREATEST ignores NULL, and never moves a time back if an older batch arrives late.
    await this.db.query(
      `UPDATE api_keys k SET last_used_time = GREATEST(k.last_used_time, v.used)
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, used)
        WHERE k.id = v.id`,
      [ids, times],
    );
  }

  createBootstrapAdmin(admin: BootstrapAdmin): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Two instances starting at once on an empty database: one bootstraps, the other sees its key.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('aegis.auth.bootstrap', 0))`);
      const existing = await tx.query(`SELECT 1 FROM api_keys LIMIT 1`);
      if (existing.rows.length > 0) return false;
      await tx.query(`INSERT INTO tenants (id, display_name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [admin.tenantId, admin.tenantName]);
      await tx.query(
        `INSERT INTO users (tenant_id, id, display_name, roles) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [admin.tenantId, admin.userId, 'Bootstrap administrator', ['admin']],
      );
      const k = admin.key;
      await tx.query(
        `INSERT INTO api_keys (id, tenant_id, user_id, name, environment, digest, hint, roles, tier)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [k.id, k.tenantId, k.userId, k.name, k.environment, k.digest, k.hint, k.roles, k.tier],
      );
      return true;
    });
  }
}
