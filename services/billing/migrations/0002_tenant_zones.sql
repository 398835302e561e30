-- Billing's copy of each tenant's time zone, from auth's aegis.tenants.v1 (TenantSettingsEvent):
-- budget, alert and usage periods align to it. Only a higher auth version replaces a row.
CREATE TABLE tenant_zones (
  tenant_id text PRIMARY KEY,
  time_zone text NOT NULL,
  version bigint NOT NULL,
  update_time timestamptz NOT NULL DEFAULT now()
);
