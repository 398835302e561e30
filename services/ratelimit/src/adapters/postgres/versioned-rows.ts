import { create, fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { aborted, alreadyExists, notFound, type SqlDatabase, type SqlExecutor } from '@aegis/shared';
import { CONFIG_CHANGED_CHANNEL, encodeConfigChange, type ConfigChange } from './change-notification.js';
import { decodePageToken, encodePageToken, pageSizeOf } from './page-token.js';

// One table of versioned protobuf documents keyed by (tenant_id, <id column>): limit sets by
// name, overrides by key. Optimistic concurrency on `version`; every write notifies.

interface Row {
  tenant_id: string;
  id: string;
  version: string;
  content: JsonValue;
  update_time: Date | string;
  updated_by: string;
}

type Versioned = { tenantId: string; version: bigint; updateTime?: { seconds: bigint; nanos: number } | undefined; updatedBy: string };

export interface VersionedRowsOptions<Desc extends DescMessage> {
  noun: string;
  table: 'limit_sets' | 'limit_overrides';
  idColumn: 'name' | 'key';
  schema: Desc;
  idOf(doc: MessageShape<Desc>): string;
  change(tenantId: string, id: string): ConfigChange;
  /** Extra column written beside the content (expire_time of overrides). */
  expireTime?(doc: MessageShape<Desc>): Date | null;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

export class VersionedRows<Desc extends DescMessage> {
  constructor(private readonly opts: VersionedRowsOptions<Desc>) {}

  private get select(): string {
    return `SELECT tenant_id, ${this.opts.idColumn} AS id, version, content, update_time, updated_by FROM ${this.opts.table}`;
  }

  private toDoc(row: Row): MessageShape<Desc> {
    const doc = fromJson(this.opts.schema, row.content, { ignoreUnknownFields: true }) as MessageShape<Desc> & Versioned;
    doc.tenantId = row.tenant_id;
    doc.version = BigInt(row.version);
    doc.updateTime = timestampFromDate(new Date(row.update_time));
    doc.updatedBy = row.updated_by;
    return doc;
  }

  private contentOf(doc: MessageShape<Desc>): JsonValue {
    const copy = create(this.opts.schema, doc as never) as MessageShape<Desc> & Versioned;
    copy.tenantId = '';
    copy.version = 0n;
    copy.updateTime = undefined;
    copy.updatedBy = '';
    return toJson(this.opts.schema, copy);
  }

  async get(db: SqlExecutor, tenantId: string, id: string): Promise<MessageShape<Desc> | undefined> {
    const { rows } = await db.query<Row>(`${this.select} WHERE tenant_id = $1 AND ${this.opts.idColumn} = $2`, [tenantId, id]);
    return rows[0] === undefined ? undefined : this.toDoc(rows[0]);
  }

  async all(db: SqlExecutor): Promise<MessageShape<Desc>[]> {
    const { rows } = await db.query<Row>(this.select);
    return rows.map((row) => this.toDoc(row));
  }

  async list(db: SqlExecutor, tenantId: string, pageSize: number, pageToken: string): Promise<Page<MessageShape<Desc>>> {
    const listing = `${this.opts.table}/${tenantId}`;
    const after = decodePageToken(pageToken, listing);
    const size = pageSizeOf(pageSize);
    const { rows } = await db.query<Row>(
      `${this.select} WHERE tenant_id = $1 AND ($2::text IS NULL OR ${this.opts.idColumn} > $2) ORDER BY ${this.opts.idColumn} LIMIT $3`,
      [tenantId, after ?? null, size + 1],
    );
    const items = rows.slice(0, size).map((row) => this.toDoc(row));
    const last = rows.length > size ? rows[size - 1] : undefined;
    return { items, nextPageToken: last === undefined ? '' : encodePageToken(listing, last.id) };
  }

  /**
   * Inserts (expectedVersion undefined: must not exist), or replaces the row at
   * `expectedVersion` (0 = whatever is there, creating it if `upsert`).
   */
  async write(db: SqlDatabase, tenantId: string, doc: MessageShape<Desc>, by: string, mode: { create: true } | { expectedVersion: bigint; upsert: boolean }): Promise<MessageShape<Desc>> {
    const id = this.opts.idOf(doc);
    const content = this.contentOf(doc);
    const expire = this.opts.expireTime?.(doc) ?? null;
    return db.transaction(async (tx) => {
      const current = await tx.query<{ version: string }>(`SELECT version FROM ${this.opts.table} WHERE tenant_id = $1 AND ${this.opts.idColumn} = $2 FOR UPDATE`, [tenantId, id]);
      const existing = current.rows[0];
      if ('create' in mode) {
        if (existing !== undefined) throw alreadyExists(this.opts.noun, id);
      } else {
        if (existing === undefined && !(mode.upsert && mode.expectedVersion === 0n)) {
          if (mode.upsert) throw aborted(`${this.opts.noun} ${id} does not exist at version ${mode.expectedVersion}: re-read and retry`);
          throw notFound(this.opts.noun, id);
        }
        if (existing !== undefined && mode.expectedVersion !== 0n && BigInt(existing.version) !== mode.expectedVersion) {
          throw aborted(`${this.opts.noun} ${id} is at version ${existing.version}, not ${mode.expectedVersion}: re-read and retry`);
        }
      }
      const version = existing === undefined ? 1n : BigInt(existing.version) + 1n;
      const { rows } = await tx.query<Row>(
        `INSERT INTO ${this.opts.table} (tenant_id, ${this.opts.idColumn}, version, content, update_time, updated_by${this.opts.expireTime ? ', expire_time' : ''})
         VALUES ($1, $2, $3, $4, now(), $5${this.opts.expireTime ? ', $6' : ''})
         ON CONFLICT (tenant_id, ${this.opts.idColumn}) DO UPDATE SET version = EXCLUDED.version, content = EXCLUDED.content,
           update_time = EXCLUDED.update_time, updated_by = EXCLUDED.updated_by${this.opts.expireTime ? ', expire_time = EXCLUDED.expire_time' : ''}
         RETURNING tenant_id, ${this.opts.idColumn} AS id, version, content, update_time, updated_by`,
        [tenantId, id, version.toString(), JSON.stringify(content), by, ...(this.opts.expireTime ? [expire] : [])],
      );
      await tx.query('SELECT pg_notify($1, $2)', [CONFIG_CHANGED_CHANNEL, encodeConfigChange(this.opts.change(tenantId, id))]);
      return this.toDoc(rows[0]!);
    });
  }

  async delete(db: SqlDatabase, tenantId: string, id: string, expectedVersion: bigint): Promise<MessageShape<Desc>> {
    return db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(`${this.select} WHERE tenant_id = $1 AND ${this.opts.idColumn} = $2 FOR UPDATE`, [tenantId, id]);
      const row = rows[0];
      if (row === undefined) throw notFound(this.opts.noun, id);
      if (expectedVersion !== 0n && BigInt(row.version) !== expectedVersion) {
        throw aborted(`${this.opts.noun} ${id} is at version ${row.version}, not ${expectedVersion}: re-read and retry`);
      }
      await tx.query(`DELETE FROM ${this.opts.table} WHERE tenant_id = $1 AND ${this.opts.idColumn} = $2`, [tenantId, id]);
      await tx.query('SELECT pg_notify($1, $2)', [CONFIG_CHANGED_CHANNEL, encodeConfigChange(this.opts.change(tenantId, id))]);
      return this.toDoc(row);
    });
  }
}

export function dateOf(timestamp: { seconds: bigint; nanos: number } | undefined): Date | null {
  return timestamp === undefined ? null : timestampDate(timestamp as never);
}
