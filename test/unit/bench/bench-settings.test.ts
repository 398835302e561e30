import { readSettings } from '../../../bench/lib/bench-settings.js';
import { formatTable } from '../../../bench/lib/report-table.js';

const defaults = { rounds: 6, roundMs: 1_000, server: 'child' };

describe('readSettings', () => {
  it('keeps the defaults when nothing is set', () => {
    expect(readSettings(defaults, { argv: [], env: {} })).toEqual(defaults);
  });

  it('takes BENCH_* variables, and flags over them', () => {
    const env = { BENCH_ROUNDS: '3', BENCH_ROUND_MS: '250' };
    expect(readSettings(defaults, { argv: ['--round-ms=500', '--server=inprocess'], env })).toEqual({
      rounds: 3,
      roundMs: 500,
      server: 'inprocess',
    });
  });

  it('refuses unknown flags, stray arguments and numbers that are not positive', () => {
    expect(() => readSettings(defaults, { argv: ['--round=3'], env: {} })).toThrow(/unknown setting --round/);
    expect(() => readSettings(defaults, { argv: ['fast'], env: {} })).toThrow(/unrecognised argument/);
    expect(() => readSettings(defaults, { argv: ['--rounds=0'], env: {} })).toThrow(/positive number/);
    expect(() => readSettings(defaults, { argv: [], env: { BENCH_ROUND_MS: 'soon' } })).toThrow(/BENCH_ROUND_MS/);
  });
});

describe('formatTable', () => {
  it('pads text columns to the left edge and number columns to the right', () => {
    const table = formatTable(['contender', 'ops/s'], [['bare', '9,500'], ['runtime', '950']]);
    expect(table.split('\n')).toEqual([
      'contender  ops/s',
      '---------  -----',
      'bare       9,500',
      'runtime      950',
    ]);
  });
});
