-- Users module: the tenant and user fields of the contracts beyond 0001 (time zone, business
-- hours, optimistic-concurrency versions, ABAC attributes), and the indexes its reads need.
-- IF NOT EXISTS: the SSO module may add `last_login_time` too; whichever runs first wins.
ALTER TABLE tenants
  ADD COLUMN IF NOT EXISTS time_zone      text        NOT NULL DEFAULT 'UTC',
  -- {"weekdays":[1,..],"startMinute":540,"endMinute":1020}; NULL = the Mon-Fri 09:00-17:00 default.
  ADD COLUMN IF NOT EXISTS business_hours jsonb,
  ADD COLUMN IF NOT EXISTS disabled_at    timestamptz,
  ADD COLUMN IF NOT EXISTS version        bigint      NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS update_time    timestamptz NOT NULL DEFAULT now();

ALTER TABLE users
  ADD COLUMN IF NOT EXISTS attributes      jsonb       NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS version         bigint      NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS update_time     timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS last_login_time timestamptz;

-- E-mails are stored lower-cased, so uniqueness needs no lower(); users without an e-mail
-- (the bootstrap administrator) do not collide with each other.
CREATE UNIQUE INDEX IF NOT EXISTS users_email_per_tenant ON users (tenant_id, email) WHERE email IS NOT NULL;

-- ListUsers pages by (e-mail, id); users without an e-mail sort first.
CREATE INDEX IF NOT EXISTS users_by_email_order ON users (tenant_id, (coalesce(email, '')), id);

-- ListUsers(role = ...) and the last-admin check.
CREATE INDEX IF NOT EXISTS users_by_role ON users USING gin (roles);
