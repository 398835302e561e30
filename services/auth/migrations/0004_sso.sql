-- Enterprise SSO: a tenant's identity providers, the external accounts linked to its users,
-- login sessions, and the tenant's session rules. Client secrets are stored only sealed with
-- the auth keyring (AES-256-GCM, bound to "identity_provider:<tenant>:<id>").
CREATE TABLE identity_providers (
  tenant_id             text        NOT NULL REFERENCES tenants (id),
  id                    text        NOT NULL,
  kind                  text        NOT NULL CHECK (kind IN ('google', 'microsoft', 'github', 'oidc')),
  display_name          text        NOT NULL,
  issuer_url            text        NOT NULL DEFAULT '',
  client_id             text        NOT NULL,
  client_secret_sealed  text,
  scopes                text[]      NOT NULL,
  required_scopes       text[]      NOT NULL DEFAULT '{}',
  allowed_email_domains text[]      NOT NULL DEFAULT '{}',
  require_mfa           boolean     NOT NULL DEFAULT false,
  mfa_amr_values        text[]      NOT NULL DEFAULT '{}',
  default_roles         text[]      NOT NULL DEFAULT '{}',
  enabled               boolean     NOT NULL,
  version               bigint      NOT NULL DEFAULT 1,
  create_time           timestamptz NOT NULL DEFAULT now(),
  update_time           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- (tenant, provider, subject) -> user. Deleting a provider drops its links, so a new provider
-- reusing the id cannot inherit accounts whose subjects happen to collide.
CREATE TABLE sso_identities (
  tenant_id   text        NOT NULL,
  provider_id text        NOT NULL,
  subject     text        NOT NULL,
  user_id     text        NOT NULL,
  link_time   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider_id, subject),
  FOREIGN KEY (tenant_id, provider_id) REFERENCES identity_providers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX sso_identities_by_user ON sso_identities (tenant_id, user_id);

-- status is what ended the session; "expired" is derived from expire_time, never written.
CREATE TABLE sessions (
  id                uuid        PRIMARY KEY,
  tenant_id         text        NOT NULL,
  user_id           text        NOT NULL,
  provider_id       text        NOT NULL DEFAULT '',
  status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'evicted')),
  amr               text[]      NOT NULL DEFAULT '{}',
  ip_address        text        NOT NULL DEFAULT '',
  user_agent        text        NOT NULL DEFAULT '',
  create_time       timestamptz NOT NULL DEFAULT now(),
  last_refresh_time timestamptz,
  expire_time       timestamptz NOT NULL,
  end_time          timestamptz,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Newest first per tenant and per user (ids are UUIDv7, so id order is creation order).
CREATE INDEX sessions_by_tenant ON sessions (tenant_id, id DESC);
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id, id DESC);

CREATE TABLE session_policies (
  tenant_id               text        PRIMARY KEY REFERENCES tenants (id),
  session_timeout_ms      bigint      NOT NULL,
  max_concurrent_sessions integer     NOT NULL CHECK (max_concurrent_sessions >= 0),
  limit_action            text        NOT NULL CHECK (limit_action IN ('evict_oldest', 'refuse_new')),
  version                 bigint      NOT NULL,
  update_time             timestamptz NOT NULL DEFAULT now()
);
