import type { SqlDatabase, SqlExecutor } from '@aegis/shared';
import type { AuditRecordRow } from '../../domain/audit-record.js';
import type { AuditQuery, PageCursor } from '../../domain/audit-query.js';
import { conditionsOf } from './query-conditions.js';

/** A message of the topic kept aside instead of stored (docs/audit.md, "Parked messages"). */
export interface ParkedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  reason: string;
  payload: Uint8Array;
}

export interface StoredRecord {
  position: bigint;
  timeUs: bigint;
  body: Uint8Array;
}

const INSERT_CASTS = ['text', 'text', 'int8', 'text', 'text', 'text', 'int4', 'text', 'text', 'text', 'int4', 'text', 'int8', 'text', 'timestamptz'];
const COLUMNS = 'event_id, tenant_id, event_time_us, kind, source, action, outcome, actor_id, actor_user_id, subject_user_id, classification, producer_id, sequence';

/** The sink's tables (migrations/0001_audit.sql) behind the operations the service needs. */
export class AuditStore {
  readonly #db: SqlDatabase;
  /** pg_notify channel announcing stored records to every instance on this database. */
  readonly channel: string;
  readonly #writerLock: string;

  constructor(db: SqlDatabase) {
    this.#db = db;
    this.channel = `${db.schema}_records_stored`;
    this.#writerLock = `${db.schema}.audit_records.writer`;
  }

  /**
   * Stores records (a redelivered event id changes nothing) and parks messages, in one
   * transaction, and announces the tenants that got new records on `channel` (delivered at
   * commit). Returns those tenants. Writers take one advisory lock, so stored positions commit
   * in increasing order: a tail reading "after position N" never misses a record below a
   * position it has already read.
   */
  async store(rows: readonly AuditRecordRow[], parked: readonly ParkedMessage[], storedAt: Date): Promise<string[]> {
    if (rows.length === 0 && parked.length === 0) return [];
    return this.#db.transaction(async (tx) => {
      await this.#park(tx, parked);
      if (rows.length === 0) return [];
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#writerLock]);
      const columns = INSERT_CASTS.map((cast, i) => `$${i + 1}::${cast}[]`).join(', ');
      const values = columnsOf(rows);
      const { rows: inserted } = await tx.query<{ tenant_id: string }>(
        `INSERT INTO audit_records (${COLUMNS}, body, expires_at, stored_at)
         SELECT ${COLUMNS}, decode(body, 'base64'), expires_at, $${INSERT_CASTS.length + 1}::timestamptz
           FROM unnest(${columns}) WITH ORDINALITY AS r(${COLUMNS}, body, expires_at, ord)
          ORDER BY ord
         ON CONFLICT (event_id) DO NOTHING
         RETURNING tenant_id`,
        [...values, storedAt.toISOString()]);
      const tenants = [...new Set(inserted.map((r) => r.tenant_id))];
      if (tenants.length > 0) await tx.query('SELECT pg_notify($1, $2)', [this.channel, announcement(tenants)]);
      return tenants;
    });
  }

  async #park(tx: SqlExecutor, parked: readonly ParkedMessage[]): Promise<void> {
    for (const p of parked) {
      await tx.query(
        `INSERT INTO parked_messages (topic, partition, "offset", message_key, headers, reason, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (topic, partition, "offset") DO NOTHING`,
        [p.topic, p.partition, p.offset, p.key, JSON.stringify(p.headers), p.reason, p.payload]);
    }
  }

  /** One page in (time, position) order after `cursor`; `limit + 1` rows tell whether more follow. */
  async page(query: AuditQuery, ascending: boolean, limit: number, cursor?: PageCursor): Promise<StoredRecord[]> {
    const { where, params } = conditionsOf(query);
    const order = ascending ? 'ASC' : 'DESC';
    let keyset = '';
    if (cursor !== undefined) {
      keyset = ` AND (event_time_us, position) ${ascending ? '>' : '<'} ($${params.length + 1}::int8, $${params.length + 2}::int8)`;
      params.push(cursor.timeUs.toString(), cursor.position.toString());
    }
    params.push(limit);
    const { rows } = await this.#db.query<RecordRow>(
      `SELECT position, event_time_us, body FROM audit_records WHERE ${where}${keyset}
        ORDER BY event_time_us ${order}, position ${order} LIMIT $${params.length}`, params);
    return rows.map(storedRecord);
  }

  async get(tenantId: string, eventId: string): Promise<StoredRecord | undefined> {
    const { rows } = await this.#db.query<RecordRow>(
      'SELECT position, event_time_us, body FROM audit_records WHERE tenant_id = $1 AND event_id = $2', [tenantId, eventId]);
    return rows[0] === undefined ? undefined : storedRecord(rows[0]);
  }

  /** Records matching `query` stored after position `after` (and at most `upTo`), in stored order. */
  async after(query: AuditQuery, after: bigint, limit: number, upTo?: bigint): Promise<StoredRecord[]> {
    const { where, params } = conditionsOf(query);
    params.push(after.toString());
    let bound = `position > $${params.length}::int8`;
    if (upTo !== undefined) {
      params.push(upTo.toString());
      bound += ` AND position <= $${params.length}::int8`;
    }
    params.push(limit);
    const { rows } = await this.#db.query<RecordRow>(
      `SELECT position, event_time_us, body FROM audit_records WHERE ${where} AND ${bound} ORDER BY position LIMIT $${params.length}`, params);
    return rows.map(storedRecord);
  }

  /** The newest stored position (0 when empty): where a live tail starts. */
  async lastPosition(): Promise<bigint> {
    const { rows } = await this.#db.query<{ last: string | null }>('SELECT max(position) AS last FROM audit_records');
    return BigInt(rows[0]?.last ?? 0);
  }

  /**
   * A tenant's records in stored order (the order they were read from the topic, in which a
   * chain's events were published), for verification; at most `limit`.
   */
  async chainRecords(opts: { tenantId: string; producerId?: string; startUs?: bigint; endUs?: bigint; limit: number }): Promise<StoredRecord[]> {
    const { where, params } = conditionsOf({ tenantId: opts.tenantId, actions: [], ...(opts.startUs !== undefined ? { startUs: opts.startUs } : {}), ...(opts.endUs !== undefined ? { endUs: opts.endUs } : {}) });
    let producer = '';
    if (opts.producerId !== undefined) {
      params.push(opts.producerId);
      producer = ` AND producer_id = $${params.length}`;
    }
    params.push(opts.limit);
    const { rows } = await this.#db.query<RecordRow>(
      `SELECT position, event_time_us, body FROM audit_records WHERE ${where}${producer} ORDER BY position LIMIT $${params.length}`, params);
    return rows.map(storedRecord);
  }

  /**
   * Deletes up to `batch` records whose retention ended at `now`; returns how many. Short
   * statements, and SKIP LOCKED lets several instances sweep at once without waiting on each other.
   */
  async deleteExpired(now: Date, batch: number): Promise<number> {
    const { rowCount } = await this.#db.query(
      `DELETE FROM audit_records WHERE position IN (
         SELECT position FROM audit_records WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [now.toISOString(), batch]);
    return rowCount;
  }

  /**
   * Hands up to `limit` parked messages not yet dead-lettered to `publish`, and marks them once
   * it resolved, in one transaction; returns how many. SKIP LOCKED: instances flushing at once
   * take different rows. A crash between publish and mark publishes again (at least once).
   */
  async deadLetterParked(limit: number, publish: (parked: (ParkedMessage & { parkedAt: Date })[]) => Promise<void>): Promise<number> {
    return this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<ParkedRow>(
        `SELECT topic, partition, "offset", message_key, headers, reason, payload, parked_at FROM parked_messages
          WHERE dead_lettered_at IS NULL ORDER BY parked_at LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
      if (rows.length === 0) return 0;
      await publish(rows.map((r) => ({
        topic: r.topic, partition: r.partition, offset: r.offset, key: r.message_key, reason: r.reason, payload: r.payload, parkedAt: new Date(r.parked_at),
        headers: typeof r.headers === 'string' ? (JSON.parse(r.headers) as Record<string, string>) : r.headers,
      })));
      await tx.query(
        `UPDATE parked_messages SET dead_lettered_at = now()
          WHERE (topic, partition, "offset") IN (SELECT * FROM unnest($1::text[], $2::int4[], $3::text[]))`,
        [rows.map((r) => r.topic), rows.map((r) => r.partition), rows.map((r) => r.offset)]);
      return rows.length;
    });
  }
}

interface ParkedRow {
  topic: string;
  partition: number;
  offset: string;
  message_key: string;
  headers: Record<string, string> | string;
  reason: string;
  payload: Uint8Array;
  parked_at: Date | string;
}

interface RecordRow {
  position: string;
  event_time_us: string;
  body: Uint8Array;
}

function storedRecord(row: RecordRow): StoredRecord {
  return { position: BigInt(row.position), timeUs: BigInt(row.event_time_us), body: row.body };
}

function columnsOf(rows: readonly AuditRecordRow[]): unknown[][] {
  const pick: ((r: AuditRecordRow) => unknown)[] = [
    (r) => r.eventId, (r) => r.tenantId, (r) => r.eventTimeUs.toString(), (r) => r.kind, (r) => r.source, (r) => r.action,
    (r) => r.outcome, (r) => r.actorId, (r) => r.actorUserId, (r) => r.subjectUserId, (r) => r.classification, (r) => r.producerId,
    (r) => r.sequence.toString(), (r) => Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength).toString('base64'),
    (r) => r.expiresAt.toISOString(),
  ];
  return pick.map((f) => rows.map(f));
}

/** NOTIFY payloads are limited to 8000 bytes: many tenants at once become "every tenant". */
export const EVERY_TENANT = '*';

function announcement(tenants: readonly string[]): string {
  const text = tenants.join(',');
  return text.length <= 7000 ? text : EVERY_TENANT;
}
