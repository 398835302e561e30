import { uuidv7 } from 'uuidv7';
import { resourceExhausted, type CredentialEvents, type Logger } from '@aegis/shared';
import type { TokenIssuer } from '../module-ports.js';
import { sessionEndedAudit, sessionPolicyChangedAudit, SERVICE, type AuditActor, type AuditTrail } from './audit.js';
import { defaultSessionPolicy, type SessionPolicy, type SessionRecord } from './domain/session.js';
import type { SessionListQuery, SessionPolicyStore, SessionStore } from './ports.js';

// Sessions and the tenant's rules for them. Ending a session is three things besides the
// row: its refresh-token family is revoked (tokens module), every service is told to refuse
// access tokens carrying its id (credential events), and it is audited.

// Access tokens of a session may outlive its expire_time by their own lifetime; the
// interceptors remember an ended session this much longer so none slips through.
const ACCESS_TOKEN_MARGIN_MS = 24 * 3_600_000;

export interface OpenSessionInput {
  tenantId: string;
  userId: string;
  providerId: string;
  amr: string[];
  ipAddress: string;
  userAgent: string;
}

export class SessionRegistry {
  constructor(
    private readonly sessions: SessionStore,
    private readonly policies: SessionPolicyStore,
    private readonly tokens: TokenIssuer,
    private readonly credentialEvents: CredentialEvents,
    private readonly audit: AuditTrail,
    private readonly logger: Logger,
    private readonly defaultTimeoutMs: number,
  ) {}

  async policy(tenantId: string): Promise<SessionPolicy> {
    return (await this.policies.get(tenantId)) ?? defaultSessionPolicy(tenantId, this.defaultTimeoutMs);
  }

  async updatePolicy(policy: Omit<SessionPolicy, 'version'>, expectedVersion: number, actor: AuditActor): Promise<SessionPolicy> {
    const saved = await this.policies.put(policy, expectedVersion);
    await this.audit.record(sessionPolicyChangedAudit(saved.tenantId, actor, [
      ['session_timeout_seconds', String(saved.sessionTimeoutMs / 1000)],
      ['max_concurrent_sessions', String(saved.maxConcurrentSessions)],
      ['limit_action', saved.limitAction],
      ['version', String(saved.version)],
    ]));
    return saved;
  }

  /**
   * Opens a session under the tenant's limit. With REFUSE_NEW at the limit: ResourceExhausted.
   * With EVICT_OLDEST the oldest sessions end (evicted, audited) to make room.
   */
  async open(input: OpenSessionInput, policy: SessionPolicy): Promise<{ session: SessionRecord; evicted: SessionRecord[] }> {
    const now = new Date();
    const opening = await this.sessions.open({
      ...input,
      sessionId: uuidv7(),
      createTime: now,
      expireTime: new Date(now.getTime() + policy.sessionTimeoutMs),
    }, policy);
    if (!opening.opened) {
      throw resourceExhausted(`user already has ${opening.liveSessions} active session(s), the most this tenant allows: log out of another session first`);
    }
    // The new session is committed; a failure to propagate an eviction must not undo the login
    // (the tokens module refuses to refresh a session that is not active).
    await this.ended(opening.evicted, 'evicted', { type: SERVICE.type, id: SERVICE.id, userId: input.userId, sessionId: opening.session.sessionId }, 'concurrent-session limit reached')
      .catch((err: unknown) => this.logger.error({ err, sessions: opening.evicted.map((s) => s.sessionId) }, 'could not propagate the eviction of sessions'));
    return { session: opening.session, evicted: opening.evicted };
  }

  get(tenantId: string, sessionId: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(tenantId, sessionId);
  }

  list(tenantId: string, query: SessionListQuery): Promise<SessionRecord[]> {
    return this.sessions.list(tenantId, query);
  }

  /**
   * Ends a session (idempotent). The revocation of its tokens is repeated on every call, so a
   * caller retrying after a failure still gets the tokens revoked; the audit event is written once.
   */
  async revoke(tenantId: string, sessionId: string, actor: AuditActor, why: string): Promise<SessionRecord | undefined> {
    const result = await this.sessions.revoke(tenantId, sessionId, new Date());
    if (result === undefined) return undefined;
    await this.propagate([result.session]);
    if (result.ended) await this.audit.record(sessionEndedAudit(result.session, 'revoked', actor, why));
    return result.session;
  }

  /** Every live session of the user (CredentialInvalidation, on disable). */
  async revokeAllOfUser(tenantId: string, userId: string, actor: AuditActor, why: string): Promise<SessionRecord[]> {
    const ended = await this.sessions.revokeAllOfUser(tenantId, userId, new Date());
    await this.ended(ended, 'revoked', actor, why);
    return ended;
  }

  private async ended(sessions: SessionRecord[], how: 'revoked' | 'evicted', actor: AuditActor, why: string): Promise<void> {
    if (sessions.length === 0) return;
    await this.audit.record(...sessions.map((s) => sessionEndedAudit(s, how, actor, why)));
    await this.propagate(sessions);
  }

  private async propagate(sessions: SessionRecord[]): Promise<void> {
    await Promise.all(sessions.map(async (s) => {
      await this.tokens.revokeSession(s.tenantId, s.sessionId);
      await this.credentialEvents.publish({
        kind: 'session',
        tenantId: s.tenantId,
        sessionId: s.sessionId,
        expiresAt: Math.max(s.expireTime.getTime(), Date.now()) + ACCESS_TOKEN_MARGIN_MS,
      });
    }));
  }
}
