/**
 * `SELECT * FROM unnest($1::text[], $2::int8[], ...)`: many rows as one array parameter per
 * column. Postgres parses and plans a handful of parameters instead of rows x columns (a
 * 2,000-row VALUES list of 19 columns is 38,000 parameters), which is most of the cost of a
 * large multi-row insert; the statement text is the same for every batch size.
 */
export function unnestRows(casts: readonly string[]): string {
  return `SELECT * FROM unnest(${casts.map((cast, c) => `$${c + 1}::${cast}[]`).join(', ')})`;
}

/** Column arrays of `rows` (each row one value per column), the parameters of unnestRows. */
export function columnsOf(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => new Array<unknown>(rows.length));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < width; c++) columns[c]![r] = row[c];
  }
  return columns;
}
