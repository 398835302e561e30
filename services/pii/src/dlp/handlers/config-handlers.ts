import type { MessageInitShape } from '@bufbuild/protobuf';
import type { GetDlpConfigRequest, GetDlpConfigResponseSchema, UpdateDlpConfigRequest, UpdateDlpConfigResponseSchema } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import type { HandlerContext } from '@connectrpc/connect';
import { aborted, requirePrincipal } from '@aegis/shared';
import { defaultSettings, settingsFromMessage, settingsMessage, validateSettings } from '@aegis/pii-engine';
import { dlpChangeEvent } from '../../audit/pii-events.js';
import { tenantOf } from '../../pii/handler-deps.js';
import { isConflict } from '../ports.js';
import { validated, type DlpHandlerDeps } from './handler-deps.js';

export async function getDlpConfig(req: GetDlpConfigRequest, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<MessageInitShape<typeof GetDlpConfigResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  return { config: settingsMessage((await deps.store.loadSettings(tenantId)) ?? defaultSettings(tenantId)) };
}

export async function updateDlpConfig(req: UpdateDlpConfigRequest, ctx: HandlerContext, deps: DlpHandlerDeps): Promise<MessageInitShape<typeof UpdateDlpConfigResponseSchema>> {
  const tenantId = tenantOf(req.tenantId, ctx);
  const principal = requirePrincipal(ctx);
  const settings = validated(() => {
    const s = settingsFromMessage(tenantId, req.config, principal.id);
    validateSettings(s);
    return s;
  });
  const saved = await deps.store.saveSettings(settings, req.expectedVersion);
  if (isConflict(saved)) throw aborted(`the DLP config changed (now version ${saved.conflict === 'version' ? saved.currentVersion : '?'}); read it again`);
  await deps.audit.recordNow(dlpChangeEvent({ tenantId, principal, what: { kind: 'config' }, version: saved.version }));
  return { config: settingsMessage(saved) };
}
