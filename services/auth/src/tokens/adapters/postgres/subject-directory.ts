import type { SqlDatabase } from '@aegis/shared';
import type { SessionLiveness, SubjectDirectory, TokenSubject } from '../../ports.js';

/**
 * Users and tenants as token issuance reads them (tables of migration 0001, extended by the
 * users module). Read-only: roles go into the token as they are at issue and refresh time.
 */
export class PostgresSubjectDirectory implements SubjectDirectory {
  constructor(private readonly db: SqlDatabase) {}

  async get(tenantId: string, userId: string): Promise<TokenSubject | undefined> {
    const { rows } = await this.db.query<{ roles: string[]; disabled: boolean }>(
      `SELECT u.roles, (u.disabled_at IS NOT NULL AND u.disabled_at <= now()) OR (t.disabled_at IS NOT NULL AND t.disabled_at <= now()) AS disabled
         FROM users u JOIN tenants t ON t.id = u.tenant_id
        WHERE u.tenant_id = $1 AND u.id = $2`,
      [tenantId, userId],
    );
    const row = rows[0];
    return row === undefined ? undefined : { tenantId, userId, roles: row.roles, disabled: row.disabled };
  }
}

/**
 * The SSO module's sessions table (migration 0004), read to bound refresh-token families by
 * their session and to record refreshes. The contract between the modules is this port.
 */
export class PostgresSessionLiveness implements SessionLiveness {
  constructor(private readonly db: SqlDatabase) {}

  async get(tenantId: string, sessionId: string): Promise<{ live: boolean; expireTime: Date } | undefined> {
    // Session ids are UUIDs; anything else names no session (and must not reach a uuid cast).
    if (!UUID.test(sessionId)) return undefined;
    const { rows } = await this.db.query<{ status: string; expire_time: Date; end_time: Date | null }>(
      'SELECT status, expire_time, end_time FROM sessions WHERE tenant_id = $1 AND id = $2',
      [tenantId, sessionId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const expireTime = new Date(row.expire_time);
    return { live: row.status === 'active' && row.end_time === null && expireTime > new Date(), expireTime };
  }

  async recordRefresh(tenantId: string, sessionId: string, at: Date): Promise<void> {
    if (!UUID.test(sessionId)) return;
    await this.db.query('UPDATE sessions SET last_refresh_time = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, sessionId, at]);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
