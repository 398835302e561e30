import type { ConnectRouter } from '@connectrpc/connect';
import { CostAlertService } from '@aegis/proto/aegis/billing/v1/alert_service_pb.js';
import { aborted, invalidArgument, notFound, requireNonEmpty, requirePrincipal, type EventPublisher, type Keyring, type SqlExecutor } from '@aegis/shared';
import { uuidv7 } from 'uuidv7';
import { actorOf, configChangedEvent } from '../audit.js';
import type { BudgetStore } from '../budgets/budget-store.js';
import { authorOf, pageOffset, pageSizeOf, pageToken, tenantOf } from '../request-context.js';
import type { AlertRow } from './alert.js';
import { alertFields, alertToProto, firingToProto } from './alert-mapping.js';
import type { AlertStore } from './alert-store.js';

export interface AlertHandlerDeps {
  db: SqlExecutor;
  store: AlertStore;
  budgets: BudgetStore;
  publisher: EventPublisher;
  keyring: Keyring;
  emailEnabled: boolean;
  currency: string;
  now: () => number;
}

export function registerCostAlertService(router: ConnectRouter, deps: AlertHandlerDeps): void {
  const requireBudget = async (tenantId: string, budgetId: string) => {
    if (budgetId !== '' && (await deps.budgets.get(tenantId, budgetId)) === undefined) throw notFound('budget', budgetId);
  };
  const page = (pageSize: number, token: string) => {
    const size = pageSizeOf(pageSize);
    if (size === undefined) throw invalidArgument('page_size', 'must be 1-1000');
    const offset = pageOffset(token);
    if (offset === undefined) throw invalidArgument('page_token', 'is not a token this list returned');
    return { size, offset };
  };

  router.service(CostAlertService, {
    async createCostAlert(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const alertId = uuidv7();
      const fields = alertFields(req.alert, alertId, deps.currency, deps.keyring, deps.emailEnabled);
      await requireBudget(tenantId, fields.budgetId);
      const now = new Date(deps.now());
      const alert: AlertRow = { ...fields, alertId, tenantId, version: 1n, createTime: now, updateTime: now, updatedBy: authorOf(ctx) };
      await deps.store.insert(alert);
      await deps.publisher.publish(configChangedEvent('cost_alert.changed', tenantId, actorOf(requirePrincipal(ctx)), alertId, 'created', 1n));
      return { alert: alertToProto(alert, deps.currency) };
    },

    async getCostAlert(req, ctx) {
      const alert = await deps.store.get(tenantOf(req.tenantId, ctx), requireNonEmpty(req.alertId, 'alert_id'));
      if (alert === undefined) throw notFound('cost alert', req.alertId);
      return { alert: alertToProto(alert, deps.currency) };
    },

    async listCostAlerts(req, ctx) {
      const { size, offset } = page(req.pageSize, req.pageToken);
      const rows = await deps.store.list(tenantOf(req.tenantId, ctx), req.budgetId, size + 1, offset);
      return { alerts: rows.slice(0, size).map((a) => alertToProto(a, deps.currency)), nextPageToken: rows.length > size ? pageToken(offset + size) : '' };
    },

    async updateCostAlert(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const alertId = requireNonEmpty(req.alert?.alertId ?? '', 'alert.alert_id');
      const current = await deps.store.get(tenantId, alertId);
      if (current === undefined) throw notFound('cost alert', alertId);
      if (req.expectedVersion !== 0n && req.expectedVersion !== current.version) throw aborted(`cost alert ${alertId} is at version ${current.version}, not ${req.expectedVersion}`);
      const fields = alertFields(req.alert, alertId, deps.currency, deps.keyring, deps.emailEnabled, current);
      await requireBudget(tenantId, fields.budgetId);
      const next: AlertRow = { ...current, ...fields, version: current.version + 1n, updateTime: new Date(deps.now()), updatedBy: authorOf(ctx) };
      if (!(await deps.store.update(next, current.version))) throw aborted(`cost alert ${alertId} changed concurrently; read it again`);
      await deps.publisher.publish(configChangedEvent('cost_alert.changed', tenantId, actorOf(requirePrincipal(ctx)), alertId, 'updated', next.version));
      return { alert: alertToProto(next, deps.currency) };
    },

    async deleteCostAlert(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const alertId = requireNonEmpty(req.alertId, 'alert_id');
      const current = await deps.store.get(tenantId, alertId);
      if (current === undefined) throw notFound('cost alert', alertId);
      if (!(await deps.store.delete(tenantId, alertId, req.expectedVersion))) throw aborted(`cost alert ${alertId} is at version ${current.version}, not ${req.expectedVersion}`);
      await deps.publisher.publish(configChangedEvent('cost_alert.changed', tenantId, actorOf(requirePrincipal(ctx)), alertId, 'deleted', current.version));
      return {};
    },

    async listAlertFirings(req, ctx) {
      const tenantId = tenantOf(req.tenantId, ctx);
      const { size, offset } = page(req.pageSize, req.pageToken);
      const result = await deps.db.query<Parameters<typeof firingToProto>[0]>(
        `SELECT alert_id, threshold, period_start, period_end, state, spent_nanos, fire_time, resolve_time, event_id FROM alert_firings
         WHERE tenant_id = $1 AND ($2 = '' OR alert_id::text = $2) AND (NOT $3 OR state = 1) ORDER BY fire_time DESC, firing_id DESC LIMIT $4 OFFSET $5`,
        [tenantId, req.alertId, req.firingOnly, size + 1, offset]);
      return { firings: result.rows.slice(0, size).map((f) => firingToProto(f, deps.currency)), nextPageToken: result.rows.length > size ? pageToken(offset + size) : '' };
    },
  });
}
