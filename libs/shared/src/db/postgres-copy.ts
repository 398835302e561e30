import type pg from 'pg';

/**
 * `COPY ... FROM STDIN` on one pg client: `data` (COPY text or binary format, as the statement
 * says) goes out as one CopyData message. pg has no built-in COPY; this is the small "custom
 * query" (Submittable) it lets callers plug in, so no extra dependency is needed. Resolves with
 * the number of rows copied; rejects with the server's error (the transaction is then aborted).
 */
export function copyFromStdin(client: pg.ClientBase, sql: string, data: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const copy = new CopyFromStdin(sql, data, (err, rows) => (err ? reject(err) : resolve(rows)));
    client.query(copy as unknown as pg.Submittable);
  });
}

type Done = (err: Error | null, rows: number) => void;

class CopyFromStdin {
  private rows = 0;
  private settled = false;

  // pg wraps `callback` (read timeouts), so it stays a public, replaceable property.
  constructor(
    readonly text: string,
    private readonly data: Uint8Array,
    public callback: Done,
  ) {}

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    if (this.data.byteLength > 0) connection.sendCopyFromChunk(Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength));
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /^COPY (\d+)/.exec(message.text ?? '');
    this.rows = match === null ? 0 : Number(match[1]);
  }

  handleReadyForQuery(): void {
    this.settle(null);
  }

  handleError(err: Error): void {
    this.settle(err);
  }

  // Not sent for COPY FROM STDIN; present because pg may call any handler of a submittable.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  private settle(err: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    this.callback(err, this.rows);
  }
}

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}
