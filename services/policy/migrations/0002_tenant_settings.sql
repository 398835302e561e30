-- The settings of each tenant that decisions depend on (time.business_hours), copied from
-- auth's aegis.tenants.v1 events (services/policy/src/tenants). Auth owns tenants; this is
-- policy's own read model of them, so decisions never call auth.
--
-- Business hours are stored as the engine uses them: an event without business hours has
-- already been given the default (Monday-Friday 09:00-17:00) in the tenant's time zone.
CREATE TABLE tenant_settings (
  tenant_id    text        PRIMARY KEY,
  time_zone    text        NOT NULL,
  -- ISO weekdays, 1 = Monday ... 7 = Sunday.
  weekdays     integer[]   NOT NULL,
  -- Minutes after local midnight: start inclusive, end exclusive.
  start_minute integer     NOT NULL CHECK (start_minute BETWEEN 0 AND 1440),
  end_minute   integer     NOT NULL CHECK (end_minute BETWEEN 0 AND 1440),
  -- auth's Tenant.version: a write applies only when it is newer than this.
  version      bigint      NOT NULL CHECK (version > 0),
  update_time  timestamptz NOT NULL DEFAULT now()
);
