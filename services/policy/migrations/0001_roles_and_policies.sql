-- Roles and ABAC policies per tenant. Each is stored as its protobuf message in canonical
-- proto JSON (toJson of aegis.policy.v1.Role / Policy, last_change left out), so the store
-- never depends on how the decision engine compiles them; the columns beside it are what
-- queries select and order on.

-- The tenant-wide revision. Every change bumps it in its own transaction, which also
-- serialises writers per tenant (the row lock), and a decision reports the value its
-- snapshot was loaded at.
CREATE TABLE tenant_policy_versions (
  tenant_id      text        PRIMARY KEY,
  policy_version bigint      NOT NULL CHECK (policy_version > 0),
  update_time    timestamptz NOT NULL DEFAULT now()
);

-- Current content. A deleted role or policy keeps its row (deleted = true) so that its
-- version keeps counting if the name is created again, and its history stays reachable.
CREATE TABLE roles (
  tenant_id   text        NOT NULL,
  name        text        NOT NULL,
  version     bigint      NOT NULL CHECK (version > 0),
  revision    bigint      NOT NULL,
  change_kind text        NOT NULL CHECK (change_kind IN ('created', 'updated', 'deleted')),
  content     jsonb       NOT NULL,
  update_time timestamptz NOT NULL,
  updated_by  text        NOT NULL,
  deleted     boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, name)
);
-- Snapshots and listings read live rows only.
CREATE INDEX roles_live_by_tenant ON roles (tenant_id, name) WHERE NOT deleted;

CREATE TABLE role_revisions (
  tenant_id   text        NOT NULL,
  name        text        NOT NULL,
  version     bigint      NOT NULL,
  revision    bigint      NOT NULL,
  change_kind text        NOT NULL CHECK (change_kind IN ('created', 'updated', 'deleted')),
  content     jsonb       NOT NULL,
  change_time timestamptz NOT NULL,
  changed_by  text        NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
);

CREATE TABLE policies (
  tenant_id   text        NOT NULL,
  name        text        NOT NULL,
  version     bigint      NOT NULL CHECK (version > 0),
  revision    bigint      NOT NULL,
  change_kind text        NOT NULL CHECK (change_kind IN ('created', 'updated', 'deleted')),
  content     jsonb       NOT NULL,
  update_time timestamptz NOT NULL,
  updated_by  text        NOT NULL,
  deleted     boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, name)
);
CREATE INDEX policies_live_by_tenant ON policies (tenant_id, name) WHERE NOT deleted;

CREATE TABLE policy_revisions (
  tenant_id   text        NOT NULL,
  name        text        NOT NULL,
  version     bigint      NOT NULL,
  revision    bigint      NOT NULL,
  change_kind text        NOT NULL CHECK (change_kind IN ('created', 'updated', 'deleted')),
  content     jsonb       NOT NULL,
  change_time timestamptz NOT NULL,
  changed_by  text        NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
);
