import type { JsonObject } from '@bufbuild/protobuf';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { notFound, unavailable, type ActorInit, type CredentialEvents, type EventPublisher, type Logger } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { userAudit } from './audit.js';
import { addedRoles, assignRoles, disableUser, enableUser, removedRoles, unassignRoles, updateProfile, type UserChange } from './domain/user-changes.js';
import type { StoredUser } from './domain/user.js';
import type { InvalidationCounts, LinkedIdentityRecord, UserListQuery, UsersLinks, UserStore } from './ports.js';

export interface UserAccountsDeps {
  store: UserStore;
  links: UsersLinks;
  credentialEvents: Pick<CredentialEvents, 'publish'>;
  publisher: Pick<EventPublisher, 'publish'>;
  logger: Logger;
}

/**
 * User administration once a request is validated and authorised: storage, the consequences of
 * a change for credentials everywhere, and the audit trail. Handlers and the SSO directory
 * both go through it, so a user created by a first login is audited like one created by an admin.
 */
export class UserAccounts {
  constructor(private readonly deps: UserAccountsDeps) {}

  async create(actor: ActorInit, input: { tenantId: string; email: string | null; displayName: string; roles: string[]; attributes: JsonObject }): Promise<StoredUser> {
    const user = await this.deps.store.create({ ...input, id: uuidv7() });
    await this.audit(userAudit({ action: 'user.created', actor, user, message: `user ${user.id} created`, details: rolesDetail(user.roles) }));
    return user;
  }

  async get(tenantId: string, userId: string): Promise<StoredUser> {
    const user = await this.deps.store.get(tenantId, userId);
    if (user === undefined) throw notFound('user', userId);
    return user;
  }

  recordLogin(tenantId: string, userId: string, at: Date): Promise<void> {
    return this.deps.store.recordLogin(tenantId, userId, at);
  }

  find(tenantId: string, userId: string): Promise<StoredUser | undefined> {
    return this.deps.store.get(tenantId, userId);
  }

  findByEmail(tenantId: string, email: string): Promise<StoredUser | undefined> {
    return this.deps.store.findByEmail(tenantId, email);
  }

  list(query: UserListQuery): Promise<StoredUser[]> {
    return this.deps.store.list(query);
  }

  async identitiesOf(user: StoredUser): Promise<LinkedIdentityRecord[]> {
    return (await this.deps.links.identities?.(user.tenantId, user.id)) ?? [];
  }

  async update(actor: ActorInit, tenantId: string, userId: string, input: { displayName: string; attributes: JsonObject; expectedVersion: bigint }): Promise<StoredUser> {
    const { after } = await this.modify(tenantId, userId, updateProfile(input));
    await this.audit(userAudit({ action: 'user.updated', actor, user: after, message: `user ${userId} updated` }));
    return after;
  }

  /**
   * Disables the user, then makes every credential of theirs stop working: the platform-wide
   * `user` event drops cached verdicts and refuses their live tokens in every service within a
   * second, and each module ends what it owns (keys, sessions, refresh tokens). All of it runs on
   * every call, also when the user already was disabled, so a retry after a partial failure
   * finishes the job.
   */
  async disable(actor: ActorInit, tenantId: string, userId: string, reason: string): Promise<{ user: StoredUser; counts: Required<InvalidationCounts> }> {
    const { before, after } = await this.modify(tenantId, userId, disableUser);
    await this.announceLockOut(tenantId, userId);
    const counts = await this.invalidateCredentials(tenantId, userId, 'revoke');
    if (before.disabledAt === null) {
      await this.audit(userAudit({
        action: 'user.disabled', actor, user: after,
        message: `user ${userId} disabled; ${counts.revokedApiKeys} API keys revoked, ${counts.revokedSessions} sessions ended`,
        details: { reason, revoked_api_keys: String(counts.revokedApiKeys), revoked_sessions: String(counts.revokedSessions) },
      }));
    }
    return { user: after, counts };
  }

  async enable(actor: ActorInit, tenantId: string, userId: string): Promise<StoredUser> {
    const { before, after } = await this.modify(tenantId, userId, enableUser);
    if (before.disabledAt !== null) await this.audit(userAudit({ action: 'user.enabled', actor, user: after, message: `user ${userId} enabled` }));
    return after;
  }

  async assignRoles(actor: ActorInit, tenantId: string, userId: string, roles: string[]): Promise<StoredUser> {
    const { before, after } = await this.modify(tenantId, userId, assignRoles(roles));
    const added = addedRoles(before, after);
    if (added.length > 0) {
      await this.audit(userAudit({ action: 'roles.assigned', actor, user: after, message: `roles ${added.join(', ')} assigned to user ${userId}`, details: rolesDetail(added) }));
    }
    return after;
  }

  /** Tokens carry the roles they were issued with: losing one ends the user's live tokens. */
  async unassignRoles(actor: ActorInit, tenantId: string, userId: string, roles: string[]): Promise<StoredUser> {
    const { before, after } = await this.modify(tenantId, userId, unassignRoles(roles));
    const removed = removedRoles(before, after);
    if (removed.length > 0) {
      await this.announceLockOut(tenantId, userId);
      await this.audit(userAudit({ action: 'roles.unassigned', actor, user: after, message: `roles ${removed.join(', ')} removed from user ${userId}`, details: rolesDetail(removed) }));
    }
    return after;
  }

  /**
   * A disabled tenant: every user's credentials stop working as on DisableUser (cached verdicts
   * dropped everywhere, live tokens refused, sessions and refresh tokens ended). API keys are
   * refused for as long as the tenant stays disabled (verification reads the tenant).
   */
  async lockOutTenant(tenantId: string): Promise<void> {
    for (const userId of await this.deps.store.idsOfTenant(tenantId)) {
      await this.announceLockOut(tenantId, userId);
      await this.invalidateCredentials(tenantId, userId, 'invalidate');
    }
  }

  private async modify(tenantId: string, userId: string, change: UserChange): Promise<{ before: StoredUser; after: StoredUser }> {
    const result = await this.deps.store.modify(tenantId, userId, change);
    if (result === undefined) throw notFound('user', userId);
    return result;
  }

  // Failing here must fail the call: without the event, other services keep accepting the
  // user's tokens until they expire. The caller retries; every step is idempotent.
  private async announceLockOut(tenantId: string, userId: string): Promise<void> {
    try {
      await this.deps.credentialEvents.publish({ kind: 'user', tenantId, userId, at: Date.now() });
    } catch (err) {
      throw unavailable('could not tell the other services about the change: retry', { cause: err });
    }
  }

  private async invalidateCredentials(tenantId: string, userId: string, mode: 'revoke' | 'invalidate'): Promise<Required<InvalidationCounts>> {
    const counts = { revokedApiKeys: 0, revokedSessions: 0 };
    for (const invalidation of this.deps.links.invalidations) {
      const result = mode === 'revoke' && invalidation.revokeUser !== undefined
        ? await invalidation.revokeUser(tenantId, userId)
        : await invalidation.invalidateUser(tenantId, userId);
      counts.revokedApiKeys += result?.revokedApiKeys ?? 0;
      counts.revokedSessions += result?.revokedSessions ?? 0;
    }
    return counts;
  }

  // The change is committed: failing the call now would invite a retry that finds nothing to
  // do and audits nothing. The error log keeps the event's id and action for reconciliation.
  private async audit(event: Event): Promise<void> {
    await this.deps.publisher.publish(event).catch((err: unknown) => {
      this.deps.logger.error({ err, eventId: event.id, action: event.action }, 'could not publish an audit event');
    });
  }
}

function rolesDetail(roles: string[]): Record<string, string> {
  return { roles: roles.join(',') };
}
