-- Billing: price catalogue, usage ledger, budgets with reservations, cost alerts (docs/billing.md).
-- Money is integer nano-units (bigint) everywhere; prices are nanos per 1,000,000 tokens.

CREATE TABLE model_prices (
  price_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  currency_code text NOT NULL,
  prompt_nanos_per_million bigint NOT NULL CHECK (prompt_nanos_per_million >= 0),
  completion_nanos_per_million bigint NOT NULL CHECK (completion_nanos_per_million >= 0),
  cached_prompt_nanos_per_million bigint CHECK (cached_prompt_nanos_per_million >= 0),
  cache_write_nanos_per_million bigint CHECK (cache_write_nanos_per_million >= 0),
  reasoning_nanos_per_million bigint CHECK (reasoning_nanos_per_million >= 0),
  effective_time timestamptz NOT NULL,
  tokenizer text NOT NULL DEFAULT '',
  create_time timestamptz NOT NULL DEFAULT now(),
  created_by text NOT NULL,
  UNIQUE (tenant_id, provider, model, effective_time)
);

-- One row per usage event: the primary key is the dedupe row, written in the same transaction
-- as the rollups and budget counters it adds to.
CREATE TABLE usage_ledger (
  event_id text PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  api_key_id text NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  prompt_tokens bigint NOT NULL,
  completion_tokens bigint NOT NULL,
  cached_prompt_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  reasoning_tokens bigint NOT NULL,
  cost_nanos bigint NOT NULL,
  currency_code text NOT NULL,
  price_id uuid NOT NULL,
  occur_time timestamptz NOT NULL,
  estimated boolean NOT NULL,
  request_id text NOT NULL,
  reservation_id text NOT NULL,
  agent_id text NOT NULL,
  booked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_ledger_tenant_time ON usage_ledger (tenant_id, occur_time);

-- Sums per subject, model and 15-minute bucket (UTC). Every IANA offset is a multiple of
-- 15 minutes, so any local day, week or month is a whole number of buckets.
CREATE TABLE usage_rollups (
  tenant_id text NOT NULL,
  bucket_start timestamptz NOT NULL,
  user_id text NOT NULL,
  api_key_id text NOT NULL,
  provider text NOT NULL,
  model text NOT NULL,
  prompt_tokens bigint NOT NULL,
  completion_tokens bigint NOT NULL,
  cached_prompt_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  reasoning_tokens bigint NOT NULL,
  cost_nanos bigint NOT NULL,
  request_count bigint NOT NULL,
  estimated_count bigint NOT NULL,
  PRIMARY KEY (tenant_id, bucket_start, user_id, api_key_id, provider, model)
);

-- Events the consumer could not book (undecodable, unknown model, bad counts): parked, never skipped silently.
CREATE TABLE usage_rejected (
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" text NOT NULL,
  event_id text NOT NULL,
  tenant_id text NOT NULL,
  reason text NOT NULL,
  payload bytea NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

CREATE TABLE budgets (
  budget_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  name text NOT NULL,
  user_id text NOT NULL,
  api_key_id text NOT NULL,
  amount_limit_nanos bigint,
  currency_code text NOT NULL,
  token_limit bigint,
  period smallint NOT NULL,
  fixed_start_time timestamptz,
  fixed_end_time timestamptz,
  time_zone text NOT NULL,
  enforcement smallint NOT NULL,
  version bigint NOT NULL,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL,
  updated_by text NOT NULL
);
CREATE INDEX budgets_tenant ON budgets (tenant_id);

-- Counters of one budget in one period: spent is written with the ledger entry, reserved by
-- reservations; both under this row's lock.
CREATE TABLE budget_periods (
  budget_id uuid NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz,
  spent_nanos bigint NOT NULL DEFAULT 0,
  spent_tokens bigint NOT NULL DEFAULT 0,
  reserved_nanos bigint NOT NULL DEFAULT 0,
  reserved_tokens bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (budget_id, period_start)
);

CREATE TABLE reservations (
  reservation_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  api_key_id text NOT NULL,
  request_id text NOT NULL,
  amount_nanos bigint NOT NULL,
  tokens bigint NOT NULL,
  -- What is held on every (budget, period) in holds while hold_active.
  hold_nanos bigint NOT NULL,
  hold_tokens bigint NOT NULL,
  holds jsonb NOT NULL,
  hold_active boolean NOT NULL,
  status smallint NOT NULL,
  create_time timestamptz NOT NULL,
  expire_time timestamptz NOT NULL,
  settle_time timestamptz,
  committed_amount_nanos bigint NOT NULL DEFAULT 0,
  committed_tokens bigint NOT NULL DEFAULT 0,
  usage_event_id text NOT NULL,
  booked boolean NOT NULL DEFAULT false,
  UNIQUE (tenant_id, request_id)
);
CREATE INDEX reservations_expiring ON reservations (expire_time) WHERE status = 1;

CREATE TABLE cost_alerts (
  alert_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  name text NOT NULL,
  budget_id text NOT NULL,
  user_id text NOT NULL,
  api_key_id text NOT NULL,
  period smallint NOT NULL,
  thresholds jsonb NOT NULL,
  channels jsonb NOT NULL,
  enabled boolean NOT NULL,
  version bigint NOT NULL,
  create_time timestamptz NOT NULL,
  update_time timestamptz NOT NULL,
  updated_by text NOT NULL
);
CREATE INDEX cost_alerts_tenant ON cost_alerts (tenant_id);

-- One row per threshold per period: the unique key is what makes an alert fire once.
CREATE TABLE alert_firings (
  firing_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  alert_id uuid NOT NULL,
  threshold_index integer NOT NULL,
  threshold jsonb NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz,
  state smallint NOT NULL,
  spent_nanos bigint NOT NULL,
  fire_time timestamptz NOT NULL,
  resolve_time timestamptz,
  event_id text NOT NULL,
  UNIQUE (alert_id, threshold_index, period_start)
);
CREATE INDEX alert_firings_open ON alert_firings (period_end) WHERE state = 1;

-- Outbox of alert deliveries (the alerts topic, webhooks, e-mail), written in the transaction
-- that fires or resolves, sent after it with retries.
CREATE TABLE alert_deliveries (
  delivery_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  firing_id uuid NOT NULL,
  channel text NOT NULL,
  target jsonb NOT NULL,
  event bytea NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  delivered_at timestamptz,
  failed_at timestamptz,
  last_error text NOT NULL DEFAULT ''
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
