-- API-key lifecycle: rotation, unique names, listing order, tenant suspension.
--
-- Rotation grace is expressed as expiry, as the contract says (ApiKey.expire_time: "after a
-- rotation, the end of the grace period"; VerifyApiKey answers EXPIRED once it has passed).
-- 0001 planned a revoke_time in the future instead; revoked_at now only ever means
-- "revoked for good", so a rotated key in its grace period is never reported as REVOKED.
UPDATE api_keys
   SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), revoked_at),
       revoked_at = NULL
 WHERE revoked_at > now();

COMMENT ON COLUMN api_keys.revoked_at IS 'When the key was revoked, for good. Rotation grace is expires_at, not revoked_at.';
COMMENT ON COLUMN api_keys.expires_at IS 'NULL = never expires. On a key rotated away: the end of its grace period.';

-- The key that replaced this one. Deferred: a rotation inserts the new key and points the
-- old one at it in one transaction, in whichever order keeps the name unique.
ALTER TABLE api_keys ADD COLUMN rotated_to uuid REFERENCES api_keys (id) DEFERRABLE INITIALLY DEFERRED;

-- A key is rotated at most once: two concurrent RotateApiKey calls cannot both succeed.
CREATE UNIQUE INDEX api_keys_rotated_once ON api_keys (rotated_from) WHERE rotated_from IS NOT NULL;

-- Names are unique per owner among the keys still in play; a revoked key, or one rotated
-- away (whose successor carries the name on), frees its name.
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (tenant_id, user_id, name)
  WHERE revoked_at IS NULL AND rotated_to IS NULL;

ALTER TABLE api_keys
  ADD CONSTRAINT api_keys_name_not_empty CHECK (name <> ''),
  ADD CONSTRAINT api_keys_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object');

-- ListApiKeys pages newest first by id (UUIDv7, so id order is creation order).
CREATE INDEX api_keys_by_tenant_newest ON api_keys (tenant_id, id DESC);
CREATE INDEX api_keys_by_owner_newest ON api_keys (tenant_id, user_id, id DESC);
DROP INDEX api_keys_by_owner;

-- "A disabled tenant's credentials all fail verification" (Tenant.disabled): verification
-- reads it. The users module's migration adds the same column with IF NOT EXISTS and owns it.
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS disabled_at timestamptz;
