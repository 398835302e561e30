-- Shared holds (budget allowances, docs/billing.md "Shared holds"): one reservation holds the
-- estimate of several requests; SettleUsage books each request's usage against it, in one
-- statement per batch (settle_usage below), and the hold stays open until released or expired.

-- shared: a hold for several requests, settled with settle_usage (never committed).
-- parent_reservation_id: set on the row of one settled usage, the shared hold it came from. That
-- row is a committed reservation of its own (id = the usage's event id, hold = its cost), so the
-- ledger settles it exactly like a commit: booking its event adds the spend and takes its hold off.
ALTER TABLE reservations ADD COLUMN shared boolean NOT NULL DEFAULT false;
ALTER TABLE reservations ADD COLUMN parent_reservation_id uuid;
-- budget_versions: on a shared hold, the tenant's budgets it was reserved under ({budget id:
-- version}, every budget of the tenant, as reserve_budget checked them); settle_usage answers
-- budgets_changed when they differ now, so the SDK stops carving from a hold checked against
-- budgets an admin has since lowered, removed or added. NULL on every other row.
ALTER TABLE reservations ADD COLUMN budget_versions jsonb;

-- As in 0004, and stores p_reservation's shared flag and, on a shared hold, the budget versions
-- it was checked against.
CREATE OR REPLACE FUNCTION reserve_budget(
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
                            hold_active, status, create_time, expire_time, usage_event_id, shared, budget_versions)
  VALUES ((p_reservation->>'reservation_id')::uuid, p_tenant_id, p_reservation->>'user_id', p_reservation->>'api_key_id', p_request_id,
          p_nanos, p_tokens, p_nanos, p_tokens, p_reservation->'holds', true, 1,
          (p_reservation->>'create_time')::timestamptz, (p_reservation->>'expire_time')::timestamptz, p_reservation->>'usage_event_id',
          coalesce((p_reservation->>'shared')::boolean, false),
          CASE WHEN coalesce((p_reservation->>'shared')::boolean, false) THEN
            (SELECT coalesce(jsonb_object_agg(known.budget_id::text, known.version::text), '{}'::jsonb)
               FROM unnest(p_known_budget_ids, p_known_versions) AS known(budget_id, version))
          END);
  outcome := 'reserved';
END
$$;

-- As in 0004; a shared hold is returned unchanged (never committed: settle_usage books its usage).
CREATE OR REPLACE FUNCTION commit_reservation(
  p_tenant_id text, p_reservation_id uuid, p_nanos bigint, p_tokens bigint, p_settle_time timestamptz, p_usage jsonb
) RETURNS SETOF reservations LANGUAGE plpgsql AS $$
DECLARE
  r reservations;
BEGIN
  SELECT * INTO r FROM reservations WHERE tenant_id = p_tenant_id AND reservation_id = p_reservation_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF r.status NOT IN (1, 4) OR r.shared THEN
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

-- Books a batch of usages against a shared hold and writes their usage events to the outbox, in
-- one transaction. p_usages: a JSON array of {event_id (a UUID), nanos, tokens (bigints as text,
-- priced by the service), provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens,
-- cache_write_tokens, reasoning_tokens, agent_id, request_id, occur_time, estimated, actor, trace}.
-- Each new usage becomes a committed reservation row of its own (id = event id, hold = its cost,
-- on the shared hold's budget periods) and the shared hold shrinks by the same amount, so the
-- budgets' reserved counters do not move: the cost only changes hands, from the shared hold to
-- the usage's own hold, which the ledger turns into spend when it books the event (as for a
-- commit). The shared hold never goes below zero: what a usage costs beyond what is left (an
-- estimate error) is added to the budgets' holds. A hold already released or expired gives
-- nothing, and the whole cost is added: the usage happened, it is booked.
-- Outcomes: missing (no such reservation: no row changed), not_shared, conflict (an event id
-- names a reservation or a usage event other than a usage of this hold: conflict_event_id;
-- nothing changed),
-- settled. costs: per usage in input order {event_id, nanos}; a repeated event id answers the
-- cost booked the first time and writes nothing. hold: the shared hold after the change, bigints
-- as text (JSON numbers lose digits). budgets_changed: the tenant's budgets (ids and versions)
-- are no longer those the hold was reserved under (the same test as reserve_budget's 'stale').
-- Lock order as everywhere: the reservation row, then its budget period rows in budget id order.
CREATE FUNCTION settle_usage(
  p_tenant_id text, p_reservation_id uuid, p_settle_time timestamptz, p_usages jsonb,
  OUT outcome text, OUT conflict_event_id text, OUT costs jsonb, OUT hold jsonb, OUT budgets_changed boolean
) LANGUAGE plpgsql AS $$
DECLARE
  r reservations;
  u jsonb;
  prior reservations;
  nanos bigint;
  tokens bigint;
  took_nanos bigint;
  took_tokens bigint;
  excess_nanos bigint := 0;
  excess_tokens bigint := 0;
BEGIN
  costs := '[]'::jsonb;
  SELECT * INTO r FROM reservations WHERE tenant_id = p_tenant_id AND reservation_id = p_reservation_id FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'missing';
    RETURN;
  END IF;
  IF NOT r.shared THEN
    outcome := 'not_shared';
    RETURN;
  END IF;

  -- Checked before anything is written, so a conflict changes nothing: an event id that is not
  -- a usage of this hold must be new everywhere, as a reservation and as a usage event (one of a
  -- commit or of RecordUsage, still in the outbox or booked). Otherwise its outbox row would be
  -- skipped or the ledger would take it for a replay: the usage would never be booked and its
  -- hold never taken off. (A usage of another hold inserted concurrently with the same id makes
  -- the INSERT below fail instead: the statement is rolled back whole, and the service calls
  -- again, which then lands here.)
  SELECT e.id INTO conflict_event_id
    FROM (SELECT u.value->>'event_id' AS id FROM jsonb_array_elements(p_usages) AS u) AS e
   WHERE NOT EXISTS (SELECT 1 FROM reservations mine
                      WHERE mine.reservation_id = e.id::uuid AND mine.tenant_id = p_tenant_id AND mine.parent_reservation_id = p_reservation_id)
     AND (EXISTS (SELECT 1 FROM reservations other WHERE other.reservation_id = e.id::uuid)
          OR EXISTS (SELECT 1 FROM usage_outbox o WHERE o.event_id = e.id)
          OR EXISTS (SELECT 1 FROM usage_ledger l WHERE l.event_id = e.id))
   LIMIT 1;
  IF conflict_event_id IS NOT NULL THEN
    outcome := 'conflict';
    RETURN;
  END IF;

  FOR u IN SELECT value FROM jsonb_array_elements(p_usages) LOOP
    SELECT * INTO prior FROM reservations WHERE reservation_id = (u->>'event_id')::uuid;
    IF FOUND THEN
      costs := costs || jsonb_build_object('event_id', u->>'event_id', 'nanos', prior.committed_amount_nanos::text);
      CONTINUE;
    END IF;
    nanos := (u->>'nanos')::bigint;
    tokens := (u->>'tokens')::bigint;
    IF r.status = 1 AND r.hold_active THEN
      took_nanos := least(nanos, r.hold_nanos);
      took_tokens := least(tokens, r.hold_tokens);
    ELSE
      took_nanos := 0;
      took_tokens := 0;
    END IF;
    r.hold_nanos := r.hold_nanos - took_nanos;
    r.hold_tokens := r.hold_tokens - took_tokens;
    r.committed_amount_nanos := r.committed_amount_nanos + nanos;
    r.committed_tokens := r.committed_tokens + tokens;
    excess_nanos := excess_nanos + (nanos - took_nanos);
    excess_tokens := excess_tokens + (tokens - took_tokens);
    INSERT INTO reservations (reservation_id, tenant_id, user_id, api_key_id, request_id, amount_nanos, tokens, hold_nanos, hold_tokens, holds,
                              hold_active, status, create_time, expire_time, settle_time, committed_amount_nanos, committed_tokens,
                              usage_event_id, parent_reservation_id)
    VALUES ((u->>'event_id')::uuid, p_tenant_id, r.user_id, r.api_key_id, 'usage:' || (u->>'event_id'), nanos, tokens, nanos, tokens, r.holds,
            true, 2, p_settle_time, r.expire_time, p_settle_time, nanos, tokens, u->>'event_id', p_reservation_id);
    INSERT INTO usage_outbox (event_id, tenant_id, user_id, api_key_id, provider, model, prompt_tokens, completion_tokens, cached_prompt_tokens,
                              cache_write_tokens, reasoning_tokens, request_id, reservation_id, agent_id, occur_time, estimated, actor, event_time, trace)
    VALUES (u->>'event_id', p_tenant_id, r.user_id, r.api_key_id, u->>'provider', u->>'model',
            (u->>'prompt_tokens')::bigint, (u->>'completion_tokens')::bigint, (u->>'cached_prompt_tokens')::bigint,
            (u->>'cache_write_tokens')::bigint, (u->>'reasoning_tokens')::bigint, u->>'request_id', u->>'event_id',
            u->>'agent_id', (u->>'occur_time')::timestamptz, (u->>'estimated')::boolean, u->'actor', p_settle_time, u->'trace')
    ON CONFLICT (event_id) DO NOTHING;
    costs := costs || jsonb_build_object('event_id', u->>'event_id', 'nanos', nanos::text);
  END LOOP;

  IF excess_nanos <> 0 OR excess_tokens <> 0 THEN
    PERFORM 1 FROM budget_periods bp
      JOIN jsonb_to_recordset(r.holds) AS h("budgetId" uuid, "periodStart" timestamptz)
        ON bp.budget_id = h."budgetId" AND bp.period_start = h."periodStart"
     ORDER BY bp.budget_id FOR UPDATE OF bp;
    UPDATE budget_periods bp SET reserved_nanos = bp.reserved_nanos + excess_nanos, reserved_tokens = bp.reserved_tokens + excess_tokens
      FROM jsonb_to_recordset(r.holds) AS h("budgetId" uuid, "periodStart" timestamptz)
     WHERE bp.budget_id = h."budgetId" AND bp.period_start = h."periodStart";
  END IF;
  UPDATE reservations SET hold_nanos = r.hold_nanos, hold_tokens = r.hold_tokens,
         committed_amount_nanos = r.committed_amount_nanos, committed_tokens = r.committed_tokens
   WHERE reservation_id = p_reservation_id;

  budgets_changed := r.budget_versions IS NULL
    OR (SELECT count(*) FROM budgets WHERE tenant_id = p_tenant_id) <> (SELECT count(*) FROM jsonb_object_keys(r.budget_versions))
    OR EXISTS (SELECT 1 FROM jsonb_each_text(r.budget_versions) AS known(budget_id, version)
                WHERE NOT EXISTS (SELECT 1 FROM budgets b WHERE b.budget_id = known.budget_id::uuid AND b.tenant_id = p_tenant_id
                                                            AND b.version = known.version::bigint));
  hold := to_jsonb(r) || jsonb_build_object('amount_nanos', r.amount_nanos::text, 'tokens', r.tokens::text,
    'hold_nanos', r.hold_nanos::text, 'hold_tokens', r.hold_tokens::text,
    'committed_amount_nanos', r.committed_amount_nanos::text, 'committed_tokens', r.committed_tokens::text);
  outcome := 'settled';
END
$$;
