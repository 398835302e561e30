import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { OutboxFlusher, inStoredTraceContext, type ActorInit, type EventPublisher, type Logger, type SqlDatabase } from '@aegis/shared';
import { usageEvent } from './usage-entry.js';

interface OutboxRow {
  event_id: string; tenant_id: string; user_id: string; api_key_id: string; provider: string; model: string;
  prompt_tokens: string; completion_tokens: string; cached_prompt_tokens: string; cache_write_tokens: string; reasoning_tokens: string;
  request_id: string; reservation_id: string; agent_id: string; occur_time: Date | string; estimated: boolean;
  actor: ActorInit | string; event_time: Date | string; trace: Record<string, string> | string | null;
}

/** How long a relay may take to publish what it claimed before another may publish it too. */
const CLAIM_SECONDS = 60;

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

/**
 * Publishes the usage events of commits (CommitReservation) from the usage_outbox table, where
 * commit_reservation writes them in the commit's own transaction: a commit answers once
 * Postgres has it, without waiting for the event log, and an event log that is down delays the
 * booking, never the commit.
 *
 * Delivery: at least once. A round claims rows (a lease, so relays on several instances take
 * different rows without holding a transaction open while Kafka answers), publishes them and
 * deletes them. A relay that dies after publishing and before deleting leaves the rows to be
 * published again when the lease runs out; the ledger books each event id once (its primary
 * key), so usage is still booked exactly once. Latency: the commit handler kicks the relay
 * right after its commit, so an event is on the topic a few milliseconds later; the periodic
 * retry (and the first flush at start) picks up what a failed publish, or a stopped instance,
 * left behind. The single-flight draining is the shared OutboxFlusher's (it drains any
 * outbox: claim some, publish, mark).
 */
export function usageOutboxRelay(deps: { db: SqlDatabase; publisher: EventPublisher; logger: Logger; retryMs: number; batchSize?: number }): OutboxFlusher {
  return new OutboxFlusher({
    batchSize: deps.batchSize ?? 500,
    retryMs: deps.retryMs,
    logger: deps.logger,
    failureMessage: 'usage events not yet published; they stay in usage_outbox and are retried',
    publishSome: async (limit) => {
      const claimed = await deps.db.query<OutboxRow>(
        `UPDATE usage_outbox SET claimed_until = now() + make_interval(secs => $2)
          WHERE event_id IN (SELECT event_id FROM usage_outbox WHERE claimed_until < now() ORDER BY event_time LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING *`, [limit, CLAIM_SECONDS]);
      if (claimed.rows.length === 0) return 0;
      const ids = claimed.rows.map((row) => row.event_id);
      try {
        // Each event in its commit's trace context (the envelope and the Kafka headers carry it,
        // so the ledger's batch span links back to the commit): one publish per trace.
        const byTrace = new Map<string, { trace: Record<string, string> | undefined; rows: OutboxRow[] }>();
        for (const row of claimed.rows) {
          const trace = row.trace === null ? undefined : json(row.trace);
          const key = trace === undefined ? '' : JSON.stringify(trace);
          const group = byTrace.get(key);
          if (group === undefined) byTrace.set(key, { trace, rows: [row] });
          else group.rows.push(row);
        }
        await Promise.all([...byTrace.values()].map(({ trace, rows }) =>
          inStoredTraceContext(trace, () => deps.publisher.publish(...rows.map(eventOf)))));
      } catch (err) {
        // Let the rows go at once: the next retry publishes them, not the lease's end.
        await deps.db.query(`UPDATE usage_outbox SET claimed_until = '-infinity' WHERE event_id = ANY($1::text[])`, [ids]).catch(() => undefined);
        throw err;
      }
      await deps.db.query('DELETE FROM usage_outbox WHERE event_id = ANY($1::text[])', [ids]);
      return claimed.rows.length;
    },
  });
}

function eventOf(row: OutboxRow): Event {
  const event = usageEvent({
    eventId: row.event_id, tenantId: row.tenant_id, userId: row.user_id, apiKeyId: row.api_key_id, provider: row.provider, model: row.model,
    tokens: {
      prompt: BigInt(row.prompt_tokens), completion: BigInt(row.completion_tokens), cachedPrompt: BigInt(row.cached_prompt_tokens),
      cacheWrite: BigInt(row.cache_write_tokens), reasoning: BigInt(row.reasoning_tokens),
    },
    requestId: row.request_id, occurTime: new Date(row.occur_time), estimated: row.estimated, reservationId: row.reservation_id, agentId: row.agent_id,
  }, json(row.actor));
  // Stamped with the commit's time, not the relay's; built inside the commit's stored trace
  // context (see publishSome), so the envelope carries that trace, or none.
  event.time = timestampFromDate(new Date(row.event_time));
  return event;
}
