import type { ComparisonResult, RatioSpread } from './interleaved-comparison.js';

/** A plain-text table, numbers right-aligned, for a terminal or a CI log. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d.,x×%()–\s-]+$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export interface LabelledComparison {
  /** What the comparison answers, e.g. `runtime vs bare, gRPC`. */
  label: string;
  comparison: ComparisonResult;
}

/** Each contender's rate and latencies (pooled over the rounds). */
export function figuresTable(comparisons: readonly LabelledComparison[]): string {
  const rows = comparisons.flatMap(({ label, comparison }) =>
    [comparison.baseline, comparison.candidate].map((c) => [
      label,
      c.name,
      c.calls.toLocaleString('en-US'),
      Math.round(c.opsPerSec).toLocaleString('en-US'),
      us(c.latencyUs.p50),
      us(c.latencyUs.p90),
      us(c.latencyUs.p99),
      us(c.latencyUs.max),
      c.server === undefined ? '-' : us(c.server.cpuUsPerCall),
      c.server === undefined ? '-' : c.server.coresBusy.toFixed(2),
    ]),
  );
  const headers = ['comparison', 'contender', 'calls', 'ops/s', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs', 'server CPU µs/call', 'server cores busy'];
  return formatTable(headers, rows);
}

/** candidate/baseline per comparison: median of the rounds, with the rounds' min–max. */
export function ratioTable(comparisons: readonly LabelledComparison[]): string {
  const rows = comparisons.map(({ label, comparison: { ratio, rounds } }) => [
    label,
    String(rounds),
    spread(ratio.throughput),
    spread(ratio.p50),
    spread(ratio.p99),
    ratio.serverCpuPerCall === undefined ? '-' : spread(ratio.serverCpuPerCall),
  ]);
  const headers = ['comparison (candidate/baseline)', 'rounds', 'ops/s ratio', 'p50 ratio', 'p99 ratio', 'server CPU/call ratio'];
  return formatTable(headers, rows);
}

function us(value: number): string {
  return value >= 100 ? Math.round(value).toString() : value.toFixed(1);
}

function spread(s: RatioSpread): string {
  return `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
}
