-- Tenants, their users, and API keys. Keys are stored only as an HMAC-SHA-256 digest under a
-- server-side pepper plus a display hint; the secret itself never reaches the database.
CREATE TABLE tenants (
  id           text        PRIMARY KEY,
  display_name text        NOT NULL,
  create_time  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  tenant_id    text        NOT NULL REFERENCES tenants (id),
  id           text        NOT NULL,
  email        text,
  display_name text        NOT NULL DEFAULT '',
  roles        text[]      NOT NULL DEFAULT '{}',
  disabled_at  timestamptz,
  create_time  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE api_keys (
  id             uuid        PRIMARY KEY,
  tenant_id      text        NOT NULL,
  user_id        text        NOT NULL,
  name           text        NOT NULL,
  environment    text        NOT NULL,
  digest         bytea       NOT NULL UNIQUE,
  hint           text        NOT NULL,
  roles          text[]      NOT NULL DEFAULT '{}',
  scopes         text[]      NOT NULL DEFAULT '{}',
  tier           text        NOT NULL CHECK (tier IN ('free', 'pro', 'enterprise')),
  metadata       jsonb       NOT NULL DEFAULT '{}',
  expires_at     timestamptz,
  disabled_at    timestamptz,
  -- In the future while a rotated key's grace period runs; permanent once passed.
  revoked_at     timestamptz,
  rotated_from   uuid        REFERENCES api_keys (id),
  create_time    timestamptz NOT NULL DEFAULT now(),
  last_used_time timestamptz,
  version        bigint      NOT NULL DEFAULT 1,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE INDEX api_keys_by_owner ON api_keys (tenant_id, user_id);
