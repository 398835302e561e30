import { aborted, notFound, type SqlDatabase } from '@aegis/shared';
import type { SessionLimitAction, SessionPolicy } from '../../domain/session.js';
import type { SessionPolicyStore } from '../../ports.js';

interface PolicyRow {
  tenant_id: string;
  session_timeout_ms: string | number;
  max_concurrent_sessions: number;
  limit_action: SessionLimitAction;
  version: string | number;
}

const FOREIGN_KEY_VIOLATION = '23503';

export class PostgresSessionPolicyStore implements SessionPolicyStore {
  constructor(private readonly db: SqlDatabase) {}

  async get(tenantId: string): Promise<SessionPolicy | undefined> {
    const { rows } = await this.db.query<PolicyRow>(`SELECT * FROM session_policies WHERE tenant_id = $1`, [tenantId]);
    return rows[0] === undefined ? undefined : toPolicy(rows[0]);
  }

  async put(policy: Omit<SessionPolicy, 'version'>, expectedVersion: number): Promise<SessionPolicy> {
    try {
      return await this.db.transaction(async (tx) => {
        const current = await tx.query<{ version: string | number }>(`SELECT version FROM session_policies WHERE tenant_id = $1 FOR UPDATE`, [policy.tenantId]);
        const version = Number(current.rows[0]?.version ?? 0);
        if (expectedVersion !== 0 && version !== expectedVersion) {
          throw aborted(`the session policy is at version ${version}, not ${expectedVersion}: read it again and retry`);
        }
        const { rows } = await tx.query<PolicyRow>(
          `INSERT INTO session_policies (tenant_id, session_timeout_ms, max_concurrent_sessions, limit_action, version)
           VALUES ($1, $2, $3, $4, 1)
           ON CONFLICT (tenant_id) DO UPDATE
             SET session_timeout_ms = EXCLUDED.session_timeout_ms, max_concurrent_sessions = EXCLUDED.max_concurrent_sessions,
                 limit_action = EXCLUDED.limit_action, version = session_policies.version + 1, update_time = now()
           RETURNING *`,
          [policy.tenantId, policy.sessionTimeoutMs, policy.maxConcurrentSessions, policy.limitAction],
        );
        return toPolicy(rows[0]!);
      });
    } catch (err) {
      if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw notFound('tenant', policy.tenantId);
      throw err;
    }
  }
}

function toPolicy(row: PolicyRow): SessionPolicy {
  return {
    tenantId: row.tenant_id,
    sessionTimeoutMs: Number(row.session_timeout_ms),
    maxConcurrentSessions: row.max_concurrent_sessions,
    limitAction: row.limit_action,
    version: Number(row.version),
  };
}
