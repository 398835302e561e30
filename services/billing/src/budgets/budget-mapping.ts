import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BudgetEnforcement, BudgetPeriod, BudgetSchema, BudgetStatusSchema, type Budget, type BudgetStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { TimeIntervalSchema } from '@aegis/proto/aegis/common/v1/interval_pb.js';
import { invalidArgument } from '@aegis/shared';
import { money, requireMoney } from '../money/proto-mapping.js';
import { isValidTimeZone, type Interval } from '../periods/period.js';
import { exceeded, type BudgetPeriodKind, type BudgetRow, type PeriodCounters } from './budget.js';

const PERIOD_OF: Partial<Record<BudgetPeriod, BudgetPeriodKind>> = {
  [BudgetPeriod.DAY]: 'day', [BudgetPeriod.WEEK]: 'week', [BudgetPeriod.MONTH]: 'month', [BudgetPeriod.FIXED]: 'fixed',
};
const PROTO_PERIOD: Record<BudgetPeriodKind, BudgetPeriod> = { day: BudgetPeriod.DAY, week: BudgetPeriod.WEEK, month: BudgetPeriod.MONTH, fixed: BudgetPeriod.FIXED };

export function periodOf(value: BudgetPeriod, field: string): BudgetPeriodKind {
  const kind = PERIOD_OF[value];
  if (kind === undefined) throw invalidArgument(field, 'must be DAY, WEEK, MONTH or FIXED');
  return kind;
}

export function periodToProto(kind: BudgetPeriodKind): BudgetPeriod {
  return PROTO_PERIOD[kind];
}

/** The mutable fields of a budget from a request, validated (InvalidArgument names the field). */
export function budgetFields(b: Budget | undefined, currency: string): Pick<BudgetRow, 'name' | 'userId' | 'apiKeyId' | 'amountLimit' | 'tokenLimit' | 'period' | 'fixedStart' | 'fixedEnd' | 'timeZone' | 'enforcement' | 'currency'> {
  if (b === undefined) throw invalidArgument('budget', 'is required');
  const name = b.name.trim();
  if (name === '' || name.length > 200) throw invalidArgument('budget.name', 'must be 1-200 characters');
  if (b.userId !== '' && b.apiKeyId !== '') throw invalidArgument('budget.api_key_id', 'a budget is on a user or on a key, not both');
  const amountLimit = requireMoney('budget.amount_limit', b.amountLimit, currency, { allowUnset: true });
  if (b.tokenLimit !== undefined && b.tokenLimit < 0n) throw invalidArgument('budget.token_limit', 'must not be negative');
  if (amountLimit === undefined && b.tokenLimit === undefined) throw invalidArgument('budget.amount_limit', 'set amount_limit, token_limit or both');
  const period = periodOf(b.period, 'budget.period');
  let fixedStart: Date | undefined;
  let fixedEnd: Date | undefined;
  if (period === 'fixed') {
    if (b.fixedStartTime === undefined) throw invalidArgument('budget.fixed_start_time', 'is required for FIXED budgets');
    fixedStart = timestampDate(b.fixedStartTime);
    fixedEnd = b.fixedEndTime === undefined ? undefined : timestampDate(b.fixedEndTime);
    if (fixedEnd !== undefined && fixedEnd.getTime() <= fixedStart.getTime()) throw invalidArgument('budget.fixed_end_time', 'must be after fixed_start_time');
  }
  if (b.timeZone !== '' && !isValidTimeZone(b.timeZone)) throw invalidArgument('budget.time_zone', 'must be an IANA time zone such as Europe/Berlin');
  return {
    name, userId: b.userId, apiKeyId: b.apiKeyId, amountLimit, tokenLimit: b.tokenLimit, period, fixedStart, fixedEnd, timeZone: b.timeZone,
    enforcement: b.enforcement === BudgetEnforcement.SOFT ? 'soft' : 'hard', currency,
  };
}

export function budgetToProto(b: BudgetRow): Budget {
  return create(BudgetSchema, {
    tenantId: b.tenantId, budgetId: b.budgetId, name: b.name, userId: b.userId, apiKeyId: b.apiKeyId,
    ...(b.amountLimit !== undefined ? { amountLimit: money(b.currency, b.amountLimit) } : {}),
    ...(b.tokenLimit !== undefined ? { tokenLimit: b.tokenLimit } : {}),
    period: periodToProto(b.period),
    ...(b.fixedStart !== undefined ? { fixedStartTime: timestampFromDate(b.fixedStart) } : {}),
    ...(b.fixedEnd !== undefined ? { fixedEndTime: timestampFromDate(b.fixedEnd) } : {}),
    timeZone: b.timeZone,
    enforcement: b.enforcement === 'soft' ? BudgetEnforcement.SOFT : BudgetEnforcement.HARD,
    version: b.version, createTime: timestampFromDate(b.createTime), updateTime: timestampFromDate(b.updateTime), updatedBy: b.updatedBy,
  });
}

export function statusToProto(b: BudgetRow, period: Interval, c: PeriodCounters): BudgetStatus {
  return create(BudgetStatusSchema, {
    budgetId: b.budgetId, name: b.name,
    enforcement: b.enforcement === 'soft' ? BudgetEnforcement.SOFT : BudgetEnforcement.HARD,
    period: create(TimeIntervalSchema, { startTime: timestampFromDate(period.start), ...(period.end !== undefined ? { endTime: timestampFromDate(period.end) } : {}) }),
    spent: money(b.currency, c.spentNanos),
    reserved: money(b.currency, c.reservedNanos),
    ...(b.amountLimit !== undefined ? { remaining: money(b.currency, b.amountLimit - c.spentNanos - c.reservedNanos) } : {}),
    spentTokens: c.spentTokens, reservedTokens: c.reservedTokens,
    ...(b.tokenLimit !== undefined ? { remainingTokens: b.tokenLimit - c.spentTokens - c.reservedTokens } : {}),
    exceeded: exceeded(b, c),
  });
}
