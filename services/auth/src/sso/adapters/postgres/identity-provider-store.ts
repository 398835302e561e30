import { aborted, alreadyExists, notFound, type SqlDatabase, type SqlExecutor } from '@aegis/shared';
import type { IdentityProviderRecord, ProviderKind, ProviderSettings } from '../../domain/identity-provider.js';
import type { IdentityProviderStore } from '../../ports.js';

interface ProviderRow {
  tenant_id: string;
  id: string;
  kind: ProviderKind;
  display_name: string;
  issuer_url: string;
  client_id: string;
  client_secret_sealed: string | null;
  scopes: string[];
  required_scopes: string[];
  allowed_email_domains: string[];
  require_mfa: boolean;
  mfa_amr_values: string[];
  default_roles: string[];
  enabled: boolean;
  version: string | number;
  create_time: Date;
  update_time: Date;
}

const COLUMNS = `tenant_id, id, kind, display_name, issuer_url, client_id, client_secret_sealed, scopes, required_scopes,
  allowed_email_domains, require_mfa, mfa_amr_values, default_roles, enabled, version, create_time, update_time`;

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

export class PostgresIdentityProviderStore implements IdentityProviderStore {
  constructor(private readonly db: SqlDatabase) {}

  async create(input: { tenantId: string; providerId: string; settings: ProviderSettings; sealedClientSecret: string | null }): Promise<IdentityProviderRecord> {
    const s = input.settings;
    try {
      const { rows } = await this.db.query<ProviderRow>(
        `INSERT INTO identity_providers (tenant_id, id, kind, display_name, issuer_url, client_id, client_secret_sealed, scopes,
           required_scopes, allowed_email_domains, require_mfa, mfa_amr_values, default_roles, enabled)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         RETURNING ${COLUMNS}`,
        [input.tenantId, input.providerId, s.kind, s.displayName, s.issuerUrl, s.clientId, input.sealedClientSecret, s.scopes,
          s.requiredScopes, s.allowedEmailDomains, s.requireMfa, s.mfaAmrValues, s.defaultRoles, s.enabled],
      );
      return toRecord(rows[0]!);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw alreadyExists('identity provider', input.providerId);
      if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw notFound('tenant', input.tenantId);
      throw err;
    }
  }

  async get(tenantId: string, providerId: string): Promise<IdentityProviderRecord | undefined> {
    const { rows } = await this.db.query<ProviderRow>(`SELECT ${COLUMNS} FROM identity_providers WHERE tenant_id = $1 AND id = $2`, [tenantId, providerId]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async list(tenantId: string): Promise<IdentityProviderRecord[]> {
    const { rows } = await this.db.query<ProviderRow>(`SELECT ${COLUMNS} FROM identity_providers WHERE tenant_id = $1 ORDER BY id`, [tenantId]);
    return rows.map(toRecord);
  }

  update(input: { tenantId: string; providerId: string; settings: ProviderSettings; sealedClientSecret?: string; expectedVersion: number }): Promise<IdentityProviderRecord> {
    const s = input.settings;
    return this.db.transaction(async (tx) => {
      await lockVersion(tx, input.tenantId, input.providerId, input.expectedVersion);
      const { rows } = await tx.query<ProviderRow>(
        `UPDATE identity_providers
            SET kind = $3, display_name = $4, issuer_url = $5, client_id = $6,
                client_secret_sealed = COALESCE($7, client_secret_sealed), scopes = $8, required_scopes = $9,
                allowed_email_domains = $10, require_mfa = $11, mfa_amr_values = $12, default_roles = $13, enabled = $14,
                version = version + 1, update_time = now()
          WHERE tenant_id = $1 AND id = $2
          RETURNING ${COLUMNS}`,
        [input.tenantId, input.providerId, s.kind, s.displayName, s.issuerUrl, s.clientId, input.sealedClientSecret ?? null, s.scopes,
          s.requiredScopes, s.allowedEmailDomains, s.requireMfa, s.mfaAmrValues, s.defaultRoles, s.enabled],
      );
      return toRecord(rows[0]!);
    });
  }

  delete(tenantId: string, providerId: string, expectedVersion: number): Promise<IdentityProviderRecord> {
    return this.db.transaction(async (tx) => {
      await lockVersion(tx, tenantId, providerId, expectedVersion);
      const { rows } = await tx.query<ProviderRow>(`DELETE FROM identity_providers WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [tenantId, providerId]);
      return toRecord(rows[0]!);
    });
  }
}

/** Locks the row for the rest of the transaction and checks the caller's version. */
async function lockVersion(tx: SqlExecutor, tenantId: string, providerId: string, expectedVersion: number): Promise<void> {
  const { rows } = await tx.query<{ version: string | number }>(`SELECT version FROM identity_providers WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, providerId]);
  const row = rows[0];
  if (row === undefined) throw notFound('identity provider', providerId);
  if (expectedVersion !== 0 && Number(row.version) !== expectedVersion) {
    throw aborted(`identity provider ${providerId} is at version ${Number(row.version)}, not ${expectedVersion}: read it again and retry`);
  }
}

function toRecord(row: ProviderRow): IdentityProviderRecord {
  return {
    tenantId: row.tenant_id,
    providerId: row.id,
    kind: row.kind,
    displayName: row.display_name,
    issuerUrl: row.issuer_url,
    clientId: row.client_id,
    sealedClientSecret: row.client_secret_sealed,
    scopes: row.scopes,
    requiredScopes: row.required_scopes,
    allowedEmailDomains: row.allowed_email_domains,
    requireMfa: row.require_mfa,
    mfaAmrValues: row.mfa_amr_values,
    defaultRoles: row.default_roles,
    enabled: row.enabled,
    version: Number(row.version),
    createTime: row.create_time,
    updateTime: row.update_time,
  };
}
