import type { ConnectRouter } from '@connectrpc/connect';
import { DlpService } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { getDlpConfig, updateDlpConfig } from './handlers/config-handlers.js';
import type { DlpHandlerDeps } from './handlers/handler-deps.js';
import { createDlpRule, deleteDlpRule, getDlpRule, listDlpRules, updateDlpRule } from './handlers/rule-handlers.js';
import { getDlpSnapshot, watchDlpChanges, type DlpWatchDeps } from './handlers/watch-handlers.js';

export function registerDlpService(router: ConnectRouter, deps: DlpHandlerDeps, watch: DlpWatchDeps): void {
  router.service(DlpService, {
    getDlpConfig: (req, ctx) => getDlpConfig(req, ctx, deps),
    updateDlpConfig: (req, ctx) => updateDlpConfig(req, ctx, deps),
    createDlpRule: (req, ctx) => createDlpRule(req, ctx, deps),
    getDlpRule: (req, ctx) => getDlpRule(req, ctx, deps),
    listDlpRules: (req, ctx) => listDlpRules(req, ctx, deps),
    updateDlpRule: (req, ctx) => updateDlpRule(req, ctx, deps),
    deleteDlpRule: (req, ctx) => deleteDlpRule(req, ctx, deps),
    watchDlpChanges: (req, ctx) => watchDlpChanges(watch, req, ctx),
    getDlpSnapshot: (req, ctx) => getDlpSnapshot(watch, req, ctx),
  });
}
