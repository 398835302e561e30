import { isAegisError } from '@aegis/shared';
import type { UserDirectory, UserRecord } from '../module-ports.js';
import type { ExternalIdentity } from './domain/external-identity.js';
import type { IdentityProviderRecord } from './domain/identity-provider.js';
import type { IdentityLinkStore } from './ports.js';

// Which Aegis user an external account is. In order: the account already linked; else the
// tenant's user with the same e-mail, but only when the provider verified that address
// (otherwise anyone could claim an admin's address at a lax provider); else a new user with
// the provider's default roles. The link makes later logins independent of the e-mail.

// Display names come from the provider; the directory keeps at most this many characters.
const MAX_DISPLAY_NAME = 200;

export class AccountLinker {
  constructor(
    private readonly links: IdentityLinkStore,
    private readonly users: UserDirectory,
    private readonly fallbackRoles: string[],
  ) {}

  recordLogin(tenantId: string, userId: string, at: Date): Promise<void> {
    return this.users.recordLogin(tenantId, userId, at);
  }

  async resolve(provider: IdentityProviderRecord, identity: ExternalIdentity): Promise<{ user: UserRecord; created: boolean }> {
    const { tenantId, providerId } = provider;
    const linkedId = await this.links.findUser(tenantId, providerId, identity.subject);
    const linked = linkedId === undefined ? undefined : await this.users.get(tenantId, linkedId);
    if (linked !== undefined) return { user: linked, created: false };

    const email = identity.emailVerified ? identity.email : null;
    let user = email === null ? undefined : await this.users.findByEmail(tenantId, email);
    let created = false;
    if (user === undefined) {
      const roles = provider.defaultRoles.length > 0 ? provider.defaultRoles : this.fallbackRoles;
      try {
        user = await this.users.create({ tenantId, email, displayName: identity.displayName.slice(0, MAX_DISPLAY_NAME), roles });
        created = true;
      } catch (err) {
        // A concurrent first login created the same address a moment ago: use that user.
        const raced = email !== null && isAegisError(err) && err.kind === 'already_exists' ? await this.users.findByEmail(tenantId, email) : undefined;
        if (raced === undefined) throw err;
        user = raced;
      }
    }
    const winner = await this.links.link(tenantId, providerId, identity.subject, user.userId);
    if (winner === user.userId) return { user, created };
    const other = await this.users.get(tenantId, winner);
    return other === undefined ? { user, created } : { user: other, created: false };
  }
}
