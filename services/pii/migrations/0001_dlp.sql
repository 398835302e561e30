-- A tenant's DLP settings (Kaizen `dlp_config`) and its named rules. Lists and patterns are
-- small documents read whole, so they are jsonb; rules are rows so they can be listed by name.

-- Bumped by every change to a tenant's settings or rules, in the same transaction, with a
-- notification on `pii_dlp_changed`: instances reload the tenant when they hear a newer one.
CREATE TABLE dlp_revisions (
  tenant_id text   PRIMARY KEY,
  revision  bigint NOT NULL CHECK (revision > 0)
);

CREATE TABLE dlp_configs (
  tenant_id       text        PRIMARY KEY,
  scan_inputs     boolean     NOT NULL,
  scan_outputs    boolean     NOT NULL,
  allow_list      jsonb       NOT NULL,
  deny_list       jsonb       NOT NULL,
  custom_patterns jsonb       NOT NULL,
  redaction_style text        NOT NULL CHECK (redaction_style IN ('fixed', 'type', 'instance')),
  version         bigint      NOT NULL CHECK (version > 0),
  update_time     timestamptz NOT NULL,
  updated_by      text        NOT NULL
);

CREATE TABLE dlp_rules (
  tenant_id   text             NOT NULL,
  name        text             NOT NULL,
  description text             NOT NULL,
  pii_type    text,
  pattern     text,
  action      text             NOT NULL CHECK (action IN ('block', 'mask', 'redact', 'log')),
  alert       boolean          NOT NULL,
  min_score   double precision NOT NULL,
  directions  text[]           NOT NULL,
  enabled     boolean          NOT NULL,
  version     bigint           NOT NULL CHECK (version > 0),
  update_time timestamptz      NOT NULL,
  updated_by  text             NOT NULL,
  PRIMARY KEY (tenant_id, name),
  CHECK ((pii_type IS NULL) <> (pattern IS NULL))
);
