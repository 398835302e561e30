import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { failedPrecondition, notFound, type ActorInit, type Logger } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { keyAudit, type KeyAction } from '../audit.js';
import { apiKeyDigest } from '../domain/api-key-digest.js';
import { apiKeyHint, generateApiKey } from '../domain/api-key-format.js';
import type { ApiKeyRecord } from '../domain/api-key-record.js';
import { disableChange, enableChange, revokeChange, rotationOf, updateChange, type KeySettings } from '../domain/key-lifecycle.js';
import { requireEnvironment, requireFutureExpiry, requireKeyName, requireMetadata, requireRolesOf, requireScopes } from '../domain/key-settings.js';
import { decodePageToken, encodePageToken, pageSizeOf, type ListingFilter } from '../domain/page-token.js';
import type { ApiKeyRepository, KeyChange, KeyRef, RateLimitTierName } from '../ports.js';

export interface NewKeyRequest {
  tenantId: string;
  userId: string;
  name: string;
  /** Undefined: the configured default ("live"). */
  environment: string | undefined;
  /** Empty: all of the owner's roles. */
  roles: string[];
  scopes: string[];
  /** Undefined: the configured default tier. */
  tier: RateLimitTierName | undefined;
  expiresAt: Date | undefined;
  metadata: Record<string, string>;
}

export interface SettingsRequest extends Omit<KeySettings, 'expiresAt'> {
  expiresAt: Date | undefined;
}

export interface LifecycleDeps {
  repository: ApiKeyRepository;
  /** Pushes a key change to every instance; rejects (Unavailable) when it could not. */
  keysChanged(keys: readonly KeyRef[]): Promise<void>;
  publish(event: Event): Promise<void>;
  logger: Logger;
  pepper: Uint8Array;
  prefix: string;
  defaultEnvironment: string;
  defaultTier: RateLimitTierName;
  now?: () => Date;
}

/** Creating, reading and changing keys: the management RPCs after validation and authorisation. */
export class ApiKeyLifecycle {
  readonly #now: () => Date;

  constructor(private readonly deps: LifecycleDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** The new key and its secret, which exists nowhere else: this is the only time it is returned. */
  async create(req: NewKeyRequest, actor: ActorInit): Promise<{ record: ApiKeyRecord; secret: string }> {
    const owner = await this.deps.repository.findOwner(req.tenantId, req.userId);
    if (owner === undefined) throw notFound('user', req.userId);
    if (owner.disabled) throw failedPrecondition(`user ${req.userId} is disabled (or their tenant is)`);
    const environment = req.environment === undefined ? this.deps.defaultEnvironment : requireEnvironment(req.environment);
    const roles = requireRolesOf(owner.roles, req.roles, { allowEmpty: true });
    const expiresAt = requireFutureExpiry(req.expiresAt, this.#now());
    const secret = generateApiKey(this.deps.prefix, environment);
    const record = await this.deps.repository.insert({
      id: uuidv7(),
      tenantId: req.tenantId,
      userId: req.userId,
      name: requireKeyName(req.name),
      environment,
      digest: apiKeyDigest(this.deps.pepper, secret),
      hint: apiKeyHint(secret),
      roles,
      scopes: requireScopes(req.scopes),
      tier: req.tier ?? this.deps.defaultTier,
      metadata: requireMetadata(req.metadata),
      expiresAt,
    });
    // Never fails the call: the key is stored and its secret would be lost with an error.
    await this.#audit('api_key.created', record, actor, `api key ${record.hint} created for user ${record.userId}`);
    return { record, secret };
  }

  get(tenantId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.deps.repository.get(tenantId, keyId);
  }

  async list(filter: ListingFilter, pageSize: number, pageToken: string): Promise<{ records: ApiKeyRecord[]; nextPageToken: string }> {
    const limit = pageSizeOf(pageSize);
    const beforeKeyId = pageToken === '' ? undefined : decodePageToken(pageToken, filter);
    const found = await this.deps.repository.list({
      tenantId: filter.tenantId,
      ...(filter.userId !== undefined ? { userId: filter.userId } : {}),
      includeRevoked: filter.includeRevoked,
      ...(beforeKeyId !== undefined ? { beforeKeyId } : {}),
      limit: limit + 1,
      now: this.#now(),
    });
    const records = found.slice(0, limit);
    const last = records.at(-1);
    return { records, nextPageToken: found.length > limit && last !== undefined ? encodePageToken(filter, last.id) : '' };
  }

  async update(current: ApiKeyRecord, req: SettingsRequest, expectedVersion: bigint, actor: ActorInit): Promise<ApiKeyRecord> {
    const owner = await this.deps.repository.findOwner(current.tenantId, current.userId);
    if (owner === undefined) throw notFound('user', current.userId);
    const settings: KeySettings = {
      name: requireKeyName(req.name),
      roles: requireRolesOf(owner.roles, req.roles, { allowEmpty: false }),
      scopes: requireScopes(req.scopes),
      tier: req.tier,
      metadata: requireMetadata(req.metadata),
      expiresAt: requireFutureExpiry(req.expiresAt, this.#now()),
    };
    return this.#change(current, (record) => updateChange(record, settings, expectedVersion), 'api_key.updated', actor, (r) => `api key ${r.hint} updated (version ${r.version})`);
  }

  revoke(current: ApiKeyRecord, reason: string, actor: ActorInit): Promise<ApiKeyRecord> {
    return this.#change(current, (record) => revokeChange(record, this.#now()), 'api_key.revoked', actor, (r) => `api key ${r.hint} revoked`, reason);
  }

  disable(current: ApiKeyRecord, reason: string, actor: ActorInit): Promise<ApiKeyRecord> {
    return this.#change(current, (record) => disableChange(record, this.#now()), 'api_key.disabled', actor, (r) => `api key ${r.hint} disabled`, reason);
  }

  enable(current: ApiKeyRecord, actor: ActorInit): Promise<ApiKeyRecord> {
    return this.#change(current, (record) => enableChange(record), 'api_key.enabled', actor, (r) => `api key ${r.hint} enabled`);
  }

  /** The new key (and its secret, returned only here); the old one expires when the grace period ends. */
  async rotate(current: ApiKeyRecord, graceMs: number, actor: ActorInit): Promise<{ previous: ApiKeyRecord; next: ApiKeyRecord; secret: string }> {
    const secret = generateApiKey(this.deps.prefix, current.environment);
    const fresh = { id: uuidv7(), digest: apiKeyDigest(this.deps.pepper, secret), hint: apiKeyHint(secret) };
    const rotated = await this.deps.repository.rotate(current.tenantId, current.id, (record) => rotationOf(record, fresh, this.#now(), graceMs));
    if (rotated === undefined) throw notFound('api key', current.id);
    const { previous, next } = rotated;
    // The new secret exists only in this response, so nothing after the commit may fail the
    // call: an instance that misses the push keeps the old key's cached verdict for at most
    // the cache TTL.
    await Promise.all([
      this.deps.keysChanged([refOf(previous)]).catch(() => undefined),
      this.#audit('api_key.rotated', previous, actor, `api key ${previous.hint} rotated to ${next.hint}; the old key expires at ${previous.expiresAt?.toISOString()}`, [
        { key: 'rotated_to_key_id', value: next.id },
        { key: 'grace_period_seconds', value: String(Math.round(graceMs / 1000)) },
      ]),
    ]);
    return { previous, next, secret };
  }

  async #change(
    current: ApiKeyRecord,
    decide: (record: ApiKeyRecord) => KeyChange,
    action: KeyAction,
    actor: ActorInit,
    message: (record: ApiKeyRecord) => string,
    reason?: string,
  ): Promise<ApiKeyRecord> {
    const result = await this.deps.repository.change(current.tenantId, current.id, decide);
    if (result === undefined) throw notFound('api key', current.id);
    const { record, changed } = result;
    // Pushed even when nothing changed: retrying an idempotent call whose push failed must push again.
    const [pushed] = await Promise.allSettled([
      this.deps.keysChanged([refOf(record)]),
      changed ? this.#audit(action, record, actor, message(record), reason ? [{ key: 'reason', value: reason }] : []) : Promise.resolve(),
    ]);
    if (pushed.status === 'rejected') throw pushed.reason;
    return record;
  }

  async #audit(action: KeyAction, record: ApiKeyRecord, actor: ActorInit, message: string, details: Array<{ key: string; value: string }> = []): Promise<void> {
    try {
      await this.deps.publish(keyAudit(action, record, actor, { message, details }));
    } catch (err) {
      this.deps.logger.error({ err, action, keyId: record.id }, 'api keys: could not publish the audit event');
    }
  }
}

function refOf(record: ApiKeyRecord): KeyRef {
  return { tenantId: record.tenantId, keyId: record.id, digest: record.digest };
}
