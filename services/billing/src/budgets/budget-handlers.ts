import type { ConnectRouter } from '@connectrpc/connect';
import { BudgetService } from '@aegis/proto/aegis/billing/v1/budget_service_pb.js';
import { aborted, invalidArgument, notFound, requireNonEmpty, requirePrincipal, type EventPublisher } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { actorOf, configChangedEvent } from '../audit.js';
import { requireMoney } from '../money/proto-mapping.js';
import { authorOf, pageOffset, pageSizeOf, pageToken, tenantOf } from '../request-context.js';
import { fits, type BudgetRow } from './budget.js';
import type { BudgetBook } from './budget-book.js';
import { budgetFields, budgetToProto, statusToProto } from './budget-mapping.js';
import type { BudgetStore } from './budget-store.js';

export interface BudgetHandlerDeps {
  store: BudgetStore;
  book: BudgetBook;
  publisher: EventPublisher;
  currency: string;
  now: () => number;
  /** Tells every instance that a tenant's budgets changed. */
  changed(tenantId: string): Promise<void>;
}

export function registerBudgetService(router: ConnectRouter, deps: BudgetHandlerDeps): void {
  const afterChange = async (tenantId: string, ctx: Parameters<typeof requirePrincipal>[0], id: string, change: 'created' | 'updated' | 'deleted', version: bigint) => {
    deps.book.invalidate(tenantId);
    await deps.changed(tenantId);
    await deps.publisher.publish(configChangedEvent('budget.changed', tenantId, actorOf(requirePrincipal(ctx)), id, change, version));
  };

  router.service(BudgetService, {
    async createBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const now = new Date(deps.now());
      const budget: BudgetRow = { ...budgetFields(req.budget, deps.currency), budgetId: uuidv7(), tenantId, version: 1n, createTime: now, updateTime: now, updatedBy: authorOf(ctx) };
      await deps.store.insert(budget);
      await afterChange(tenantId, ctx, budget.budgetId, 'created', budget.version);
      return { budget: budgetToProto(budget) };
    },

    async getBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const budget = await deps.store.get(tenantId, requireNonEmpty(req.budgetId, 'budget_id'));
      if (budget === undefined) throw notFound('budget', req.budgetId);
      return { budget: budgetToProto(budget) };
    },

    async listBudgets(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const size = pageSizeOf(req.pageSize);
      if (size === undefined) throw invalidArgument('page_size', 'must be 1-1000');
      const offset = pageOffset(req.pageToken);
      if (offset === undefined) throw invalidArgument('page_token', 'is not a token this list returned');
      const rows = await deps.store.list(tenantId, req.userId, req.apiKeyId, size + 1, offset);
      return { budgets: rows.slice(0, size).map(budgetToProto), nextPageToken: rows.length > size ? pageToken(offset + size) : '' };
    },

    async updateBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const budgetId = requireNonEmpty(req.budget?.budgetId ?? '', 'budget.budget_id');
      const current = await deps.store.get(tenantId, budgetId);
      if (current === undefined) throw notFound('budget', budgetId);
      if (req.expectedVersion !== 0n && req.expectedVersion !== current.version) throw aborted(`budget ${budgetId} is at version ${current.version}, not ${req.expectedVersion}`);
      const next: BudgetRow = { ...current, ...budgetFields(req.budget, deps.currency), version: current.version + 1n, updateTime: new Date(deps.now()), updatedBy: authorOf(ctx) };
      if (!(await deps.store.update(next, current.version))) throw aborted(`budget ${budgetId} changed concurrently; read it again`);
      await afterChange(tenantId, ctx, budgetId, 'updated', next.version);
      return { budget: budgetToProto(next) };
    },

    async deleteBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const budgetId = requireNonEmpty(req.budgetId, 'budget_id');
      const current = await deps.store.get(tenantId, budgetId);
      if (current === undefined) throw notFound('budget', budgetId);
      if (!(await deps.store.delete(tenantId, budgetId, req.expectedVersion))) throw aborted(`budget ${budgetId} is at version ${current.version}, not ${req.expectedVersion}`);
      await afterChange(tenantId, ctx, budgetId, 'deleted', current.version);
      return {};
    },

    async checkBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const nanos = requireMoney('estimated_cost', req.estimatedCost, deps.currency, { allowUnset: true }) ?? 0n;
      if (req.estimatedTokens < 0n) throw invalidArgument('estimated_tokens', 'must not be negative');
      const states = await deps.book.statesFor(tenantId, req.userId, req.apiKeyId);
      const blocking = states.find((s) => !fits(s.budget, s.counters, { nanos, tokens: req.estimatedTokens }));
      return {
        allowed: blocking === undefined,
        blockingBudgetId: blocking?.budget.budgetId ?? '',
        statuses: states.map((s) => statusToProto(s.budget, s.period, s.counters)),
      };
    },

    async getRemainingBudget(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      if (req.userId !== '' && req.apiKeyId !== '') throw invalidArgument('api_key_id', 'give user_id or api_key_id, not both');
      let states = await deps.book.statesFor(tenantId, req.userId, req.apiKeyId);
      if (req.budgetId !== '') {
        const budget = await deps.store.get(tenantId, req.budgetId);
        if (budget === undefined) throw notFound('budget', req.budgetId);
        states = await deps.book.withCounters([budget], new Date(deps.now()));
      }
      return { statuses: states.map((s) => statusToProto(s.budget, s.period, s.counters)) };
    },
  });
}
