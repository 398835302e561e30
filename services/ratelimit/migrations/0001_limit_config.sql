-- Custom limit sets and per-key / tenant-wide overrides. Each row holds its protobuf message
-- in canonical proto JSON (aegis.ratelimit.v1.LimitSet / LimitOverride without the
-- version, update_time and updated_by fields, which are the columns beside it). Every
-- instance keeps all rows in memory and reloads a row when `ratelimit_config_changed`
-- names it (sent inside the writing transaction).

CREATE TABLE limit_sets (
  tenant_id   text        NOT NULL,
  name        text        NOT NULL,
  version     bigint      NOT NULL CHECK (version > 0),
  content     jsonb       NOT NULL,
  update_time timestamptz NOT NULL,
  updated_by  text        NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

-- key = '' is the tenant-wide override.
CREATE TABLE limit_overrides (
  tenant_id   text        NOT NULL,
  key         text        NOT NULL,
  version     bigint      NOT NULL CHECK (version > 0),
  content     jsonb       NOT NULL,
  expire_time timestamptz,
  update_time timestamptz NOT NULL,
  updated_by  text        NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
