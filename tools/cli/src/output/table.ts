// Plain aligned columns for people; --json is the format for scripts.

export interface Column<T> {
  header: string;
  value(row: T): string;
}

export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[], empty = '(none)'): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = rows.map((row) => columns.map((c) => c.value(row).replace(/\s*\n\s*/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n')}\n`;
}

/** `label: value` lines for one record, labels aligned. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const shown = fields.filter(([, v]) => v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n') + '\n';
}
