import type { SqlDatabase, SqlExecutor } from '@aegis/shared';
import { admitSession, type SessionRecord, type StoredSessionStatus } from '../../domain/session.js';
import type { NewSession, SessionListQuery, SessionOpening, SessionStore } from '../../ports.js';

interface SessionRow {
  id: string;
  tenant_id: string;
  user_id: string;
  provider_id: string;
  status: StoredSessionStatus;
  amr: string[];
  ip_address: string;
  user_agent: string;
  create_time: Date;
  last_refresh_time: Date | null;
  expire_time: Date;
  end_time: Date | null;
}

const COLUMNS = 'id, tenant_id, user_id, provider_id, status, amr, ip_address, user_agent, create_time, last_refresh_time, expire_time, end_time';

export class PostgresSessionStore implements SessionStore {
  constructor(private readonly db: SqlDatabase) {}

  open(session: NewSession, policy: Parameters<SessionStore['open']>[1]): Promise<SessionOpening> {
    return this.db.transaction(async (tx) => {
      // Serialises logins of one user, so the count below cannot change before the insert.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`aegis.auth.sessions:${session.tenantId}:${session.userId}`]);
      const live = await liveSessions(tx, session.tenantId, session.userId, session.createTime);
      const admission = admitSession(policy, live);
      if (!admission.admitted) return { opened: false, liveSessions: live.length };
      const evictedIds = admission.evict.map((s) => s.sessionId);
      const evicted = evictedIds.length === 0 ? [] : (await tx.query<SessionRow>(
        `UPDATE sessions SET status = 'evicted', end_time = $2 WHERE id = ANY($1::uuid[]) AND status = 'active' RETURNING ${COLUMNS}`,
        [evictedIds, session.createTime],
      )).rows.map(toRecord);
      const { rows } = await tx.query<SessionRow>(
        `INSERT INTO sessions (id, tenant_id, user_id, provider_id, amr, ip_address, user_agent, create_time, expire_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING ${COLUMNS}`,
        [session.sessionId, session.tenantId, session.userId, session.providerId, session.amr, session.ipAddress, session.userAgent, session.createTime, session.expireTime],
      );
      return { opened: true, session: toRecord(rows[0]!), evicted };
    });
  }

  async get(tenantId: string, sessionId: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.db.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE tenant_id = $1 AND id = $2`, [tenantId, sessionId]);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async list(tenantId: string, query: SessionListQuery): Promise<SessionRecord[]> {
    const params: unknown[] = [tenantId, query.limit];
    const where = ['tenant_id = $1'];
    if (query.userId !== undefined) where.push(`user_id = $${params.push(query.userId)}`);
    if (query.beforeSessionId !== undefined) where.push(`id < $${params.push(query.beforeSessionId)}::uuid`);
    if (!query.includeEnded) where.push(`status = 'active' AND expire_time > $${params.push(new Date())}`);
    const { rows } = await this.db.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $2`, params);
    return rows.map(toRecord);
  }

  revoke(tenantId: string, sessionId: string, at: Date): Promise<{ session: SessionRecord; ended: boolean } | undefined> {
    return this.db.transaction(async (tx) => {
      const ended = await tx.query<SessionRow>(
        `UPDATE sessions SET status = 'revoked', end_time = $3
          WHERE tenant_id = $1 AND id = $2 AND status = 'active' AND expire_time > $3
          RETURNING ${COLUMNS}`,
        [tenantId, sessionId, at],
      );
      if (ended.rows[0] !== undefined) return { session: toRecord(ended.rows[0]), ended: true };
      const { rows } = await tx.query<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE tenant_id = $1 AND id = $2`, [tenantId, sessionId]);
      return rows[0] === undefined ? undefined : { session: toRecord(rows[0]), ended: false };
    });
  }

  async revokeAllOfUser(tenantId: string, userId: string, at: Date): Promise<SessionRecord[]> {
    const { rows } = await this.db.query<SessionRow>(
      `UPDATE sessions SET status = 'revoked', end_time = $3
        WHERE tenant_id = $1 AND user_id = $2 AND status = 'active' AND expire_time > $3
        RETURNING ${COLUMNS}`,
      [tenantId, userId, at],
    );
    return rows.map(toRecord);
  }

}

async function liveSessions(tx: SqlExecutor, tenantId: string, userId: string, at: Date): Promise<SessionRecord[]> {
  const { rows } = await tx.query<SessionRow>(
    `SELECT ${COLUMNS} FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND status = 'active' AND expire_time > $3`,
    [tenantId, userId, at],
  );
  return rows.map(toRecord);
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    tenantId: row.tenant_id,
    sessionId: row.id,
    userId: row.user_id,
    providerId: row.provider_id,
    status: row.status,
    amr: row.amr,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    createTime: row.create_time,
    lastRefreshTime: row.last_refresh_time,
    expireTime: row.expire_time,
    endTime: row.end_time,
  };
}
