import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  CreateDlpRuleRequest, CreateDlpRuleResponseSchema, DeleteDlpRuleRequest, DeleteDlpRuleResponseSchema, GetDlpRuleRequest, GetDlpRuleResponseSchema,
  ListDlpRulesRequest, ListDlpRulesResponseSchema, UpdateDlpRuleRequest, UpdateDlpRuleResponseSchema,
} from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { aborted, alreadyExists, invalidArgument, notFound, requirePrincipal } from '@aegis/shared';
import { ruleFromMessage, ruleMessage, validateRule, type DlpRuleSpec } from '@aegis/pii-engine';
import { dlpChangeEvent } from '../../audit/pii-events.js';
import { tenantOf } from '../../pii/handler-deps.js';
import { isConflict, type StoreConflict } from '../ports.js';
import { validated, type DlpHandlerDeps } from './handler-deps.js';

async function validRule(tenantId: string, req: { rule?: Parameters<typeof ruleFromMessage>[1] }, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<DlpRuleSpec> {
  const settings = await deps.store.loadSettings(tenantId);
  const patternNames = new Set((settings?.customPatterns ?? []).map((p) => p.name));
  return validated(() => {
    const rule = ruleFromMessage(tenantId, req.rule, requirePrincipal(ctx).id);
    validateRule(rule, patternNames);
    return rule;
  });
}

function conflictError(conflict: StoreConflict, name: string): Error {
  if (conflict.conflict === 'exists') return alreadyExists('dlp rule', name);
  if (conflict.conflict === 'missing') return notFound('dlp rule', name);
  return aborted(`dlp rule "${name}" changed (now version ${conflict.currentVersion}); read it again`);
}

export async function createDlpRule(req: CreateDlpRuleRequest, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<MessageInitShape<typeof CreateDlpRuleResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const rule = await validRule(tenantId, req, ctx, deps);
  const saved = await deps.store.createRule(rule);
  if (isConflict(saved)) throw conflictError(saved, rule.name);
  await deps.audit.recordNow(dlpChangeEvent({ tenantId, principal: requirePrincipal(ctx), what: { kind: 'rule', name: rule.name, verb: 'created' }, version: saved.version }));
  return { rule: ruleMessage(saved) };
}

export async function getDlpRule(req: GetDlpRuleRequest, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<MessageInitShape<typeof GetDlpRuleResponseSchema>> {
  const rule = await deps.store.getRule(tenantOf(req.tenantId, ctx), req.name);
  if (rule === undefined) throw notFound('dlp rule', req.name);
  return { rule: ruleMessage(rule) };
}

export async function listDlpRules(req: ListDlpRulesRequest, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<MessageInitShape<typeof ListDlpRulesResponseSchema>> {
  if (req.pageSize < 0 || req.pageSize > 1000) throw invalidArgument('page_size', 'must be 1-1000 (0 means 100)');
  const size = req.pageSize === 0 ? 100 : req.pageSize;
  let after = '';
  if (req.pageToken !== '') {
    after = Buffer.from(req.pageToken, 'base64url').toString('utf8');
    if (!/^[a-z0-9_]{1,63}$/.test(after)) throw invalidArgument('page_token', 'is not a token this service issued');
  }
  const rules = await deps.store.listRules(tenantOf(req.tenantId, ctx), after, size + 1);
  const page = rules.slice(0, size);
  return { rules: page.map(ruleMessage), nextPageToken: rules.length > size ? Buffer.from(page[page.length - 1]!.name).toString('base64url') : '' };
}

export async function updateDlpRule(req: UpdateDlpRuleRequest, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<MessageInitShape<typeof UpdateDlpRuleResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const rule = await validRule(tenantId, req, ctx, deps);
  const saved = await deps.store.updateRule(rule, req.expectedVersion);
  if (isConflict(saved)) throw conflictError(saved, rule.name);
  await deps.audit.recordNow(dlpChangeEvent({ tenantId, principal: requirePrincipal(ctx), what: { kind: 'rule', name: rule.name, verb: 'updated' }, version: saved.version }));
  return { rule: ruleMessage(saved) };
}

export async function deleteDlpRule(req: DeleteDlpRuleRequest, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<MessageInitShape<typeof DeleteDlpRuleResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const deleted = await deps.store.deleteRule(tenantId, req.name, req.expectedVersion);
  if (isConflict(deleted)) throw conflictError(deleted, req.name);
  await deps.audit.recordNow(dlpChangeEvent({ tenantId, principal: requirePrincipal(ctx), what: { kind: 'rule', name: req.name, verb: 'deleted' }, version: deleted.version }));
  return {};
}
