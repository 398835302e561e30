import { periodContaining } from '../../src/periods/period.js';
import { budgetPeriodAt, fits, type BudgetRow } from '../../src/budgets/budget.js';

describe('periods aligned to a time zone', () => {
  test('day, ISO week and month start at local midnight', () => {
    const at = new Date('2026-03-29T12:00:00Z'); // Sunday; Berlin switched to CEST at 01:00 UTC that day
    expect(periodContaining(at, 'day', 'Europe/Berlin')).toEqual({ start: new Date('2026-03-28T23:00:00Z'), end: new Date('2026-03-29T22:00:00Z') });
    expect(periodContaining(at, 'week', 'Europe/Berlin').start).toEqual(new Date('2026-03-22T23:00:00Z'));
    expect(periodContaining(at, 'month', 'Europe/Berlin')).toEqual({ start: new Date('2026-02-28T23:00:00Z'), end: new Date('2026-03-31T22:00:00Z') });
    expect(periodContaining(new Date('2026-01-01T03:00:00Z'), 'day', 'America/New_York').start).toEqual(new Date('2025-12-31T05:00:00Z'));
    expect(periodContaining(new Date('2026-05-10T20:00:00Z'), 'day', 'Asia/Kathmandu').start).toEqual(new Date('2026-05-10T18:15:00Z'));
    expect(periodContaining(new Date('2026-05-10T20:00:00Z'), 'month', 'UTC')).toEqual({ start: new Date('2026-05-01T00:00:00Z'), end: new Date('2026-06-01T00:00:00Z') });
  });

  test('fixed budgets live only inside their window; hard budgets fit only within their caps', () => {
    const b: BudgetRow = {
      budgetId: 'b', tenantId: 't', name: 'n', userId: '', apiKeyId: '', amountLimit: 100n, currency: 'USD', tokenLimit: 10n, period: 'fixed',
      fixedStart: new Date('2026-01-01'), fixedEnd: new Date('2026-02-01'), timeZone: '', enforcement: 'hard', version: 1n, createTime: new Date(), updateTime: new Date(), updatedBy: 'x',
    };
    expect(budgetPeriodAt(b, new Date('2025-12-31'), 'UTC')).toBeUndefined();
    expect(budgetPeriodAt(b, new Date('2026-01-15'), 'UTC')?.start).toEqual(new Date('2026-01-01'));
    expect(budgetPeriodAt(b, new Date('2026-02-01'), 'UTC')).toBeUndefined();
    const c = { spentNanos: 50n, reservedNanos: 40n, spentTokens: 0n, reservedTokens: 0n };
    expect(fits(b, c, { nanos: 10n, tokens: 10n })).toBe(true);
    expect(fits(b, c, { nanos: 11n, tokens: 0n })).toBe(false);
    expect(fits(b, c, { nanos: 0n, tokens: 11n })).toBe(false);
    expect(fits({ ...b, enforcement: 'soft' }, c, { nanos: 1000n, tokens: 0n })).toBe(true);
  });
});
