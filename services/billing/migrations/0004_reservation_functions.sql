-- ReserveBudget and CommitReservation each in one round trip (docs/billing.md, "Reservations").
-- Both were a transaction of six to eight statements, each a network round trip while the budget
-- period rows stayed locked; as functions the same steps run inside Postgres, in one statement
-- (atomic on its own, so no BEGIN/COMMIT either), and the rows are locked for microseconds.

-- Usage events of commits, written in the commit's transaction and published by the relay
-- (src/usage/usage-outbox.ts), which deletes a row once the event log holds its event. The row
-- holds the usage entry, not an encoded event: the relay builds the UsageEvent from it.
CREATE TABLE usage_outbox (
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
  request_id text NOT NULL,
  reservation_id text NOT NULL,
  agent_id text NOT NULL,
  occur_time timestamptz NOT NULL,
  estimated boolean NOT NULL,
  -- The envelope's actor: who committed.
  actor jsonb NOT NULL,
  event_time timestamptz NOT NULL,
  -- W3C trace context of the commit (traceparent, tracestate), so the event joins its trace.
  trace jsonb,
  -- A relay publishing the row holds it until then; a relay that died mid-publish lets it go.
  claimed_until timestamptz NOT NULL DEFAULT '-infinity'
);

-- Holds the estimate on every budget period a request counts against, or refuses.
--
-- The caller passes the budgets it believes the tenant has (ids and versions, from its cache)
-- and, of those that apply to this request and are live, the current period of each (periods
-- follow time zones, computed by the service). Outcomes:
--   stale    the tenant's budgets are not the ones the caller knows: reload them and call again
--            (so a cached budget list can never let a new or tightened budget be skipped);
--   existing a reservation with this request id exists (idempotency): nothing changed;
--   blocked  a hard budget cannot hold the estimate: blocking_budget_id, nothing changed;
--   reserved the holds were raised and the reservation inserted.
-- counters: each period's counters before this hold, bigints as text (JSON numbers lose digits).
--
-- Exactness under concurrency is the period rows' locks: they are locked in budget id order (the
-- lock order of every billing transaction, so two reservations never deadlock), and checked and
-- raised under the lock, so each reservation sees the holds of those before it. The check is
-- budget.ts `fits` in SQL: spent + reserved + estimate <= limit, for hard budgets only.
CREATE FUNCTION reserve_budget(
  p_tenant_id text, p_request_id text, p_reservation jsonb, p_nanos bigint, p_tokens bigint,
  p_known_budget_ids uuid[], p_known_versions bigint[],
  p_budget_ids uuid[], p_period_starts timestamptz[], p_period_ends timestamptz[],
  OUT outcome text, OUT blocking_budget_id uuid, OUT counters jsonb
) LANGUAGE plpgsql AS $$
DECLARE
  period record;
BEGIN
  counters := '[]'::jsonb;
  IF (SELECT count(*) FROM budgets WHERE tenant_id = p_tenant_id) <> cardinality(p_known_budget_ids)
     OR EXISTS (SELECT 1 FROM unnest(p_known_budget_ids, p_known_versions) AS known(budget_id, version)
                WHERE NOT EXISTS (SELECT 1 FROM budgets b WHERE b.budget_id = known.budget_id AND b.tenant_id = p_tenant_id AND b.version = known.version)) THEN
    outcome := 'stale';
    RETURN;
  END IF;

  IF EXISTS (SELECT 1 FROM reservations WHERE tenant_id = p_tenant_id AND request_id = p_request_id) THEN
    outcome := 'existing';
    SELECT coalesce(jsonb_agg(jsonb_build_object('budget_id', bp.budget_id, 'period_start', bp.period_start,
             'spent_nanos', bp.spent_nanos::text, 'spent_tokens', bp.spent_tokens::text,
             'reserved_nanos', bp.reserved_nanos::text, 'reserved_tokens', bp.reserved_tokens::text)), '[]'::jsonb)
      INTO counters
      FROM budget_periods bp JOIN unnest(p_budget_ids, p_period_starts) AS wanted(budget_id, period_start) USING (budget_id, period_start);
    RETURN;
  END IF;

  INSERT INTO budget_periods (budget_id, period_start, period_end)
    SELECT * FROM unnest(p_budget_ids, p_period_starts, p_period_ends)
    ON CONFLICT (budget_id, period_start) DO NOTHING;

  FOR period IN
    SELECT bp.budget_id, bp.period_start, bp.spent_nanos, bp.spent_tokens, bp.reserved_nanos, bp.reserved_tokens,
           b.enforcement, b.amount_limit_nanos, b.token_limit
      FROM budget_periods bp
      JOIN unnest(p_budget_ids, p_period_starts) AS wanted(budget_id, period_start) USING (budget_id, period_start)
      JOIN budgets b ON b.budget_id = bp.budget_id
     ORDER BY bp.budget_id
       FOR UPDATE OF bp
  LOOP
    counters := counters || jsonb_build_object('budget_id', period.budget_id, 'period_start', period.period_start,
      'spent_nanos', period.spent_nanos::text, 'spent_tokens', period.spent_tokens::text,
      'reserved_nanos', period.reserved_nanos::text, 'reserved_tokens', period.reserved_tokens::text);
    IF blocking_budget_id IS NULL AND period.enforcement = 1 AND (
         period.spent_nanos + period.reserved_nanos + p_nanos > period.amount_limit_nanos
      OR period.spent_tokens + period.reserved_tokens + p_tokens > period.token_limit) THEN
      blocking_budget_id := period.budget_id;
    END IF;
  END LOOP;
  IF blocking_budget_id IS NOT NULL THEN
    outcome := 'blocked';
    RETURN;
  END IF;

  UPDATE budget_periods bp SET reserved_nanos = bp.reserved_nanos + p_nanos, reserved_tokens = bp.reserved_tokens + p_tokens
    FROM unnest(p_budget_ids, p_period_starts) AS wanted(budget_id, period_start)
   WHERE bp.budget_id = wanted.budget_id AND bp.period_start = wanted.period_start;
  -- A concurrent call with the same request id fails here (unique violation) and is rolled back
  -- whole, holds included; the service answers it with the winner's reservation.
  INSERT INTO reservations (reservation_id, tenant_id, user_id, api_key_id, request_id, amount_nanos, tokens, hold_nanos, hold_tokens, holds,
                            hold_active, status, create_time, expire_time, usage_event_id)
  VALUES ((p_reservation->>'reservation_id')::uuid, p_tenant_id, p_reservation->>'user_id', p_reservation->>'api_key_id', p_request_id,
          p_nanos, p_tokens, p_nanos, p_tokens, p_reservation->'holds', true, 1,
          (p_reservation->>'create_time')::timestamptz, (p_reservation->>'expire_time')::timestamptz, p_reservation->>'usage_event_id');
  outcome := 'reserved';
END
$$;

-- Settles a held or expired reservation with its actual usage and writes its usage event to the
-- outbox, in one transaction: the hold becomes the actual amount until the ledger books the event
-- (which then takes it off). Returns the reservation after the change; one already committed or
-- released is returned unchanged (and writes nothing), a missing one is no row.
-- Lock order as everywhere: the reservation row, then its budget period rows in budget id order.
CREATE FUNCTION commit_reservation(
  p_tenant_id text, p_reservation_id uuid, p_nanos bigint, p_tokens bigint, p_settle_time timestamptz, p_usage jsonb
) RETURNS SETOF reservations LANGUAGE plpgsql AS $$
DECLARE
  r reservations;
BEGIN
  SELECT * INTO r FROM reservations WHERE tenant_id = p_tenant_id AND reservation_id = p_reservation_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF r.status NOT IN (1, 4) THEN
    RETURN NEXT r;
    RETURN;
  END IF;

  IF r.hold_active AND (p_nanos <> r.hold_nanos OR p_tokens <> r.hold_tokens) THEN
    PERFORM 1 FROM budget_periods bp
      JOIN jsonb_to_recordset(r.holds) AS h("budgetId" uuid, "periodStart" timestamptz)
        ON bp.budget_id = h."budgetId" AND bp.period_start = h."periodStart"
     ORDER BY bp.budget_id FOR UPDATE OF bp;
    UPDATE budget_periods bp SET reserved_nanos = bp.reserved_nanos + (p_nanos - r.hold_nanos), reserved_tokens = bp.reserved_tokens + (p_tokens - r.hold_tokens)
      FROM jsonb_to_recordset(r.holds) AS h("budgetId" uuid, "periodStart" timestamptz)
     WHERE bp.budget_id = h."budgetId" AND bp.period_start = h."periodStart";
  END IF;

  UPDATE reservations SET status = 2, settle_time = p_settle_time, committed_amount_nanos = p_nanos, committed_tokens = p_tokens,
         hold_nanos = CASE WHEN hold_active THEN p_nanos ELSE hold_nanos END,
         hold_tokens = CASE WHEN hold_active THEN p_tokens ELSE hold_tokens END
   WHERE reservation_id = p_reservation_id
  RETURNING * INTO r;

  INSERT INTO usage_outbox (event_id, tenant_id, user_id, api_key_id, provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens,
                            cache_write_tokens, reasoning_tokens, request_id, reservation_id, agent_id, occur_time, estimated, actor, event_time, trace)
  VALUES (r.usage_event_id, r.tenant_id, r.user_id, r.api_key_id, p_usage->>'provider', p_usage->>'model',
          (p_usage->>'prompt_tokens')::bigint, (p_usage->>'completion_tokens')::bigint, (p_usage->>'cached_prompt_tokens')::bigint,
          (p_usage->>'cache_write_tokens')::bigint, (p_usage->>'reasoning_tokens')::bigint, r.request_id, r.reservation_id::text,
          p_usage->>'agent_id', (p_usage->>'occur_time')::timestamptz, (p_usage->>'estimated')::boolean, p_usage->'actor', p_settle_time,
          p_usage->'trace')
  ON CONFLICT (event_id) DO NOTHING;
  RETURN NEXT r;
END
$$;
