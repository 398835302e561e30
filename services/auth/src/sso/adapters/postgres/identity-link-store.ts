import type { SqlDatabase } from '@aegis/shared';
import type { IdentityLinkStore, LinkedIdentityRecord } from '../../ports.js';

export class PostgresIdentityLinkStore implements IdentityLinkStore {
  constructor(private readonly db: SqlDatabase) {}

  async findUser(tenantId: string, providerId: string, subject: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ user_id: string }>(
      `SELECT user_id FROM sso_identities WHERE tenant_id = $1 AND provider_id = $2 AND subject = $3`,
      [tenantId, providerId, subject],
    );
    return rows[0]?.user_id;
  }

  async link(tenantId: string, providerId: string, subject: string, userId: string): Promise<string> {
    // Two first logins of one account at once: the first link wins and both use its user.
    await this.db.query(
      `INSERT INTO sso_identities (tenant_id, provider_id, subject, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [tenantId, providerId, subject, userId],
    );
    return (await this.findUser(tenantId, providerId, subject)) ?? userId;
  }

  async listForUser(tenantId: string, userId: string): Promise<LinkedIdentityRecord[]> {
    const { rows } = await this.db.query<{ provider_id: string; subject: string; link_time: Date }>(
      `SELECT provider_id, subject, link_time FROM sso_identities WHERE tenant_id = $1 AND user_id = $2 ORDER BY link_time, provider_id`,
      [tenantId, userId],
    );
    return rows.map((row) => ({ providerId: row.provider_id, subject: row.subject, linkTime: row.link_time }));
  }
}
