// aegis budgets create|list|get|remaining|delete: billing's BudgetService. Amounts are exact
// decimals (nanos underneath), never floats.
import { BudgetEnforcement, BudgetPeriod, BudgetSchema, BudgetStatusSchema, type Budget, type BudgetStatus } from '@aegis/proto/aegis/billing/v1/budget_pb.js';
import { BudgetService, CreateBudgetResponseSchema, GetBudgetResponseSchema } from '@aegis/proto/aegis/billing/v1/budget_service_pb.js';
import { EXIT } from '../../command.js';
import { messageJson, messagesJson } from '../../output/json.js';
import { renderFields, renderTable } from '../../output/table.js';
import { enumName, money, parseAmount, parseEnum, time } from '../../output/values.js';
import { instant, required, wholeNumber } from '../../server/arguments.js';
import { allPages } from '../../server/pages.js';
import { serverCommand, UsageError, type ServerContext } from '../../server/server-command.js';

const periodName = (b: Budget) => enumName(BudgetPeriod, b.period, 'BUDGET_PERIOD');
const enforcementName = (e: BudgetEnforcement) => (e === BudgetEnforcement.SOFT ? 'soft' : 'hard');
const subject = (b: { userId: string; apiKeyId: string }) => (b.userId !== '' ? `user ${b.userId}` : b.apiKeyId !== '' ? `key ${b.apiKeyId}` : 'tenant');

const SUBJECT_OPTIONS = {
  user: { type: 'string', placeholder: 'user-id', help: "A user's budgets" },
  key: { type: 'string', placeholder: 'key-id', help: "An API key's budgets" },
} as const;

function subjectOf(ctx: ServerContext): { userId: string; apiKeyId: string } {
  const userId = ctx.string('user') ?? '';
  const apiKeyId = ctx.string('key') ?? '';
  if (userId !== '' && apiKeyId !== '') throw new UsageError('--user and --key cannot be used together');
  return { userId, apiKeyId };
}

function budgetFields(b: Budget): string {
  return renderFields([
    ['budget id', b.budgetId], ['name', b.name], ['subject', subject(b)], ['amount limit', money(b.amountLimit)],
    ['token limit', b.tokenLimit === undefined ? '' : String(b.tokenLimit)], ['period', periodName(b)],
    ['fixed window', b.period === BudgetPeriod.FIXED ? `${time(b.fixedStartTime)} - ${time(b.fixedEndTime) || 'open'}` : ''],
    ['time zone', b.timeZone], ['enforcement', enforcementName(b.enforcement)], ['version', String(b.version)],
  ]);
}

function statusTable(statuses: readonly BudgetStatus[]): string {
  return renderTable([
    { header: 'budget id', value: (s: BudgetStatus) => s.budgetId },
    { header: 'name', value: (s) => s.name },
    { header: 'enforcement', value: (s) => enforcementName(s.enforcement) },
    { header: 'period', value: (s) => `${time(s.period?.startTime)} - ${time(s.period?.endTime)}` },
    { header: 'spent', value: (s) => money(s.spent) },
    { header: 'reserved', value: (s) => money(s.reserved) },
    { header: 'remaining', value: (s) => money(s.remaining) },
    { header: 'tokens left', value: (s) => (s.remainingTokens === undefined ? '' : String(s.remainingTokens)) },
    { header: 'exceeded', value: (s) => (s.exceeded ? 'EXCEEDED' : '') },
  ], statuses, '(no budgets apply)');
}

export const budgetsCreate = serverCommand({
  group: 'budgets', name: 'create', summary: 'Create a budget (money and/or tokens per period)',
  usage: '--name <name> (--amount <decimal> | --tokens <n>) [options]',
  description: `Creates a spending cap on the tenant, a user (--user) or an API key (--key), in money
(--amount, exact decimal in --currency) and/or tokens (--tokens), per day, week, month, or
once over a fixed window. Hard budgets refuse reservations that would exceed them; soft ones
only alert.`,
  services: ['billing'],
  options: {
    name: { type: 'string', placeholder: 'name', help: 'Name (required)' },
    ...SUBJECT_OPTIONS,
    amount: { type: 'string', placeholder: 'decimal', help: 'Money cap per period, e.g. 250.00' },
    currency: { type: 'string', placeholder: 'code', help: "ISO 4217 code of --amount (default USD; must be the catalogue's)" },
    tokens: { type: 'string', placeholder: 'n', help: 'Token cap per period (prompt + completion)' },
    period: { type: 'string', placeholder: 'period', help: 'day, week, month or fixed (default month)' },
    start: { type: 'string', placeholder: 'time', help: 'For fixed: start (RFC 3339 or date)' },
    end: { type: 'string', placeholder: 'time', help: 'For fixed: end, exclusive (default open-ended)' },
    'time-zone': { type: 'string', placeholder: 'zone', help: "IANA zone of period boundaries (default the tenant's)" },
    soft: { type: 'boolean', help: 'Only alert, never refuse' },
  },
  examples: ['aegis budgets create --name team-monthly --user 0193... --amount 250 --period month', 'aegis budgets create --name daily-tokens --key 0193... --tokens 1000000 --period day --soft'],
  async run(ctx) {
    const name = required('name', ctx.string('name'));
    const amountText = ctx.string('amount');
    const amount = amountText === undefined ? undefined : parseAmount(amountText);
    if (amountText !== undefined && amount === undefined) throw new UsageError('--amount must be a decimal such as 250 or 12.50 (at most 9 decimals)');
    const tokens = wholeNumber('tokens', ctx.string('tokens'));
    if (amount === undefined && tokens === undefined) throw new UsageError('give --amount and/or --tokens');
    const period = parseEnum(BudgetPeriod, ctx.string('period') ?? 'month', 'BUDGET_PERIOD');
    if (period === undefined) throw new UsageError('--period must be day, week, month or fixed');
    const currency = (ctx.string('currency') ?? 'USD').toUpperCase();
    const start = ctx.string('start');
    const end = ctx.string('end');
    const res = await ctx.client(BudgetService).createBudget({
      tenantId: await ctx.tenant(),
      budget: {
        name, ...subjectOf(ctx), period, timeZone: ctx.string('time-zone') ?? '',
        enforcement: ctx.flag('soft') ? BudgetEnforcement.SOFT : BudgetEnforcement.HARD,
        ...(amount !== undefined ? { amountLimit: { currencyCode: currency, amountNanos: amount } } : {}),
        ...(tokens !== undefined ? { tokenLimit: tokens } : {}),
        ...(start !== undefined ? { fixedStartTime: instant('start', start) } : {}),
        ...(end !== undefined ? { fixedEndTime: instant('end', end) } : {}),
      },
    });
    ctx.print(messageJson(CreateBudgetResponseSchema, res), () => `created budget\n${budgetFields(res.budget!)}`);
    return EXIT.ok;
  },
});

export const budgetsList = serverCommand({
  group: 'budgets', name: 'list', summary: 'List budgets',
  usage: '[options]',
  description: 'Lists the budgets of the tenant, or only those on one user (--user) or key (--key).',
  services: ['billing'],
  options: SUBJECT_OPTIONS,
  async run(ctx) {
    const tenantId = await ctx.tenant();
    const who = subjectOf(ctx);
    const client = ctx.client(BudgetService);
    const budgets = await allPages(async (pageToken) => {
      const page = await client.listBudgets({ tenantId, ...who, pageSize: 1000, pageToken });
      return { items: page.budgets, nextPageToken: page.nextPageToken };
    }, { progress: ctx.progress, noun: 'budgets' });
    ctx.print({ budgets: messagesJson(BudgetSchema, budgets) }, () => renderTable([
      { header: 'budget id', value: (b: Budget) => b.budgetId },
      { header: 'name', value: (b) => b.name },
      { header: 'subject', value: subject },
      { header: 'amount', value: (b) => money(b.amountLimit) },
      { header: 'tokens', value: (b) => (b.tokenLimit === undefined ? '' : String(b.tokenLimit)) },
      { header: 'period', value: periodName },
      { header: 'enforcement', value: (b) => enforcementName(b.enforcement) },
    ], budgets, '(no budgets)'));
    return EXIT.ok;
  },
});

export const budgetsGet = serverCommand({
  group: 'budgets', name: 'get', summary: 'Show one budget',
  usage: '[options] <budget-id>',
  description: 'Shows one budget as configured (see `aegis budgets remaining` for where it stands).',
  services: ['billing'],
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const res = await ctx.client(BudgetService).getBudget({ tenantId: await ctx.tenant(), budgetId: ctx.args[0]! });
    ctx.print(messageJson(GetBudgetResponseSchema, res), () => budgetFields(res.budget!));
    return EXIT.ok;
  },
});

export const budgetsRemaining = serverCommand({
  group: 'budgets', name: 'remaining', summary: 'Where budgets stand in their current period',
  usage: '[options] [<budget-id>]',
  description: `Spent, reserved and remaining money and tokens of every budget that applies to a user's
(--user) or key's (--key) requests, or of the tenant's budgets, or of one budget.`,
  services: ['billing'],
  positionals: { min: 0, max: 1 },
  options: SUBJECT_OPTIONS,
  async run(ctx) {
    const res = await ctx.client(BudgetService).getRemainingBudget({ tenantId: await ctx.tenant(), ...subjectOf(ctx), budgetId: ctx.args[0] ?? '' });
    ctx.print({ statuses: messagesJson(BudgetStatusSchema, res.statuses) }, () => statusTable(res.statuses));
    return EXIT.ok;
  },
});

export const budgetsDelete = serverCommand({
  group: 'budgets', name: 'delete', summary: 'Delete a budget',
  usage: '[options] <budget-id>',
  description: 'Deletes a budget; its ledger history stays.',
  services: ['billing'],
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    await ctx.client(BudgetService).deleteBudget({ tenantId: await ctx.tenant(), budgetId: ctx.args[0]! });
    ctx.print({ deleted: { budgetId: ctx.args[0] } }, () => `budget ${ctx.args[0]} deleted\n`);
    return EXIT.ok;
  },
});
