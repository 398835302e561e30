import { failedPrecondition, invalidArgument, openSealed, seal, SecretBoxError, type Keyring } from '@aegis/shared';
import { providerChangedAudit, type AuditActor, type AuditTrail } from './audit.js';
import { clientSecretContext, speaksOidc, type IdentityProviderRecord, type ProviderKind, type ProviderSettings } from './domain/identity-provider.js';
import type { IdentityProviderStore, ProviderProtocol } from './ports.js';

// A tenant's identity providers: configuration checked against the provider before it is
// saved, the client secret sealed with the keyring and never handed back, every change audited.

const MAX_CLIENT_SECRET_LENGTH = 2048;

export type ProtocolFor = (kind: ProviderKind) => ProviderProtocol;

export class ProviderRegistry {
  constructor(
    private readonly store: IdentityProviderStore,
    private readonly protocolFor: ProtocolFor,
    private readonly keyring: Keyring,
    private readonly audit: AuditTrail,
  ) {}

  async create(tenantId: string, providerId: string, settings: ProviderSettings, clientSecret: string, actor: AuditActor): Promise<IdentityProviderRecord> {
    checkSecret(clientSecret, settings.kind === 'github');
    await this.protocolFor(settings.kind).check(tenantId, providerId, settings);
    const sealed = clientSecret === '' ? null : seal(this.keyring, Buffer.from(clientSecret, 'utf8'), clientSecretContext(tenantId, providerId));
    const record = await this.store.create({ tenantId, providerId, settings, sealedClientSecret: sealed });
    await this.audit.record(providerChangedAudit(tenantId, providerId, 'created', actor, auditDetails(record)));
    return record;
  }

  get(tenantId: string, providerId: string): Promise<IdentityProviderRecord | undefined> {
    return this.store.get(tenantId, providerId);
  }

  list(tenantId: string): Promise<IdentityProviderRecord[]> {
    return this.store.list(tenantId);
  }

  async update(tenantId: string, providerId: string, settings: ProviderSettings, clientSecret: string, expectedVersion: number, actor: AuditActor): Promise<IdentityProviderRecord> {
    const needsStoredSecret = settings.kind === 'github' && clientSecret === '';
    checkSecret(clientSecret, needsStoredSecret && (await this.store.get(tenantId, providerId))?.sealedClientSecret === null);
    await this.protocolFor(settings.kind).check(tenantId, providerId, settings);
    const record = await this.store.update({
      tenantId,
      providerId,
      settings,
      expectedVersion,
      ...(clientSecret !== '' ? { sealedClientSecret: seal(this.keyring, Buffer.from(clientSecret, 'utf8'), clientSecretContext(tenantId, providerId)) } : {}),
    });
    await this.audit.record(providerChangedAudit(tenantId, providerId, 'updated', actor, [...auditDetails(record), ['client_secret_changed', String(clientSecret !== '')]]));
    return record;
  }

  async delete(tenantId: string, providerId: string, expectedVersion: number, actor: AuditActor): Promise<void> {
    const record = await this.store.delete(tenantId, providerId, expectedVersion);
    await this.audit.record(providerChangedAudit(tenantId, providerId, 'deleted', actor, auditDetails(record)));
  }

  /** The plaintext secret for a code exchange; null for a public client. */
  clientSecret(provider: IdentityProviderRecord): string | null {
    if (provider.sealedClientSecret === null) return null;
    try {
      return openSealed(this.keyring, provider.sealedClientSecret, clientSecretContext(provider.tenantId, provider.providerId)).toString('utf8');
    } catch (err) {
      if (!(err instanceof SecretBoxError)) throw err;
      throw failedPrecondition(`the client secret of identity provider "${provider.providerId}" cannot be decrypted (was its key removed from AEGIS_AUTH_ENCRYPTION_KEYS?): set it again with UpdateIdentityProvider`);
    }
  }
}

function checkSecret(secret: string, required: boolean): void {
  if (secret.length > MAX_CLIENT_SECRET_LENGTH) throw invalidArgument('client_secret', `must be at most ${MAX_CLIENT_SECRET_LENGTH} characters`);
  if (required && secret === '') throw invalidArgument('client_secret', 'is required for a GitHub provider (GitHub has no public clients)');
}

/** Facts for the audit trail: never the secret, only whether one is set. */
function auditDetails(record: IdentityProviderRecord): Array<[string, string]> {
  return [
    ['kind', record.kind],
    ['protocol', speaksOidc(record.kind) ? 'oidc' : 'oauth2'],
    ['issuer_url', record.issuerUrl],
    ['client_id', record.clientId],
    ['client_secret_set', String(record.sealedClientSecret !== null)],
    ['enabled', String(record.enabled)],
    ['require_mfa', String(record.requireMfa)],
    ['allowed_email_domains', record.allowedEmailDomains.join(' ')],
    ['version', String(record.version)],
  ];
}
