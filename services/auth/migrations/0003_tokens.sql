-- Tokens module: JWT signing keys, refresh-token families, and the ledger of issued access
-- tokens (revocation by jti, introspection). No token and no private key is stored in the clear.

-- The active key is the one whose activate_time came last among those that have come; a
-- scheduled successor is stored (and published) before its activate_time. retire_time is when
-- a replaced key leaves the JWKS, after every token it signed has expired.
CREATE TABLE signing_keys (
  kid                text        PRIMARY KEY,
  algorithm          text        NOT NULL CHECK (algorithm IN ('EdDSA', 'ES256', 'RS256')),
  public_jwk         jsonb       NOT NULL CHECK (jsonb_typeof(public_jwk) = 'object'),
  -- PKCS#8 private key sealed with the auth keyring (AES-256-GCM), bound to "signing_key:<kid>".
  private_key_sealed text        NOT NULL,
  create_time        timestamptz NOT NULL,
  activate_time      timestamptz NOT NULL,
  retire_time        timestamptz,
  CHECK (retire_time IS NULL OR retire_time > activate_time)
);

-- One family per login session or IssueToken call; each refresh spends a token and adds the
-- next generation. revoke_reason 'reuse' means a spent token came back (the family is burnt).
CREATE TABLE refresh_token_families (
  id             uuid        PRIMARY KEY,
  tenant_id      text        NOT NULL,
  user_id        text        NOT NULL,
  session_id     text,
  audience       text[]      NOT NULL,
  scopes         text[]      NOT NULL DEFAULT '{}',
  amr            text[]      NOT NULL DEFAULT '{}',
  access_ttl_ms  integer     NOT NULL CHECK (access_ttl_ms > 0),
  create_time    timestamptz NOT NULL,
  expire_time    timestamptz NOT NULL,
  revoke_time    timestamptz,
  revoke_reason  text        CHECK (revoke_reason IN ('reuse', 'revoked', 'session_ended', 'user_invalidated')),
  CHECK ((revoke_time IS NULL) = (revoke_reason IS NULL)),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX refresh_token_families_live_by_user ON refresh_token_families (tenant_id, user_id) WHERE revoke_time IS NULL;
CREATE INDEX refresh_token_families_by_session ON refresh_token_families (tenant_id, session_id) WHERE session_id IS NOT NULL;
CREATE INDEX refresh_token_families_by_expiry ON refresh_token_families (expire_time);

-- Only the SHA-256 digest of a refresh token is kept. (family_id, generation) is unique, so two
-- concurrent refreshes of one token cannot both add a next generation.
CREATE TABLE refresh_tokens (
  digest      bytea       PRIMARY KEY CHECK (length(digest) = 32),
  family_id   uuid        NOT NULL REFERENCES refresh_token_families (id) ON DELETE CASCADE,
  generation  integer     NOT NULL CHECK (generation >= 1),
  create_time timestamptz NOT NULL,
  expire_time timestamptz NOT NULL,
  spend_time  timestamptz,
  UNIQUE (family_id, generation)
);

-- Every access token issued, until it expires: RevokeToken by jti checks ownership and learns
-- the expiry here, and IntrospectToken reads the revocation state authoritatively.
CREATE TABLE access_tokens (
  jti         uuid        PRIMARY KEY,
  tenant_id   text        NOT NULL,
  user_id     text        NOT NULL,
  session_id  text,
  family_id   uuid        REFERENCES refresh_token_families (id) ON DELETE SET NULL,
  kid         text        NOT NULL,
  issue_time  timestamptz NOT NULL,
  expire_time timestamptz NOT NULL,
  revoke_time timestamptz
);

CREATE INDEX access_tokens_by_user ON access_tokens (tenant_id, user_id, expire_time);
CREATE INDEX access_tokens_by_session ON access_tokens (tenant_id, session_id) WHERE session_id IS NOT NULL;
CREATE INDEX access_tokens_by_family ON access_tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX access_tokens_by_expiry ON access_tokens (expire_time);
