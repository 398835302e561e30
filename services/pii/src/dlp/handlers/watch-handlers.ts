import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { HandlerContext } from '@connectrpc/connect';
import type { GetDlpSnapshotRequest, GetDlpSnapshotResponseSchema, WatchDlpChangesRequest, WatchDlpChangesResponseSchema } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { requirePrincipal, requireTenantId, unavailable } from '@aegis/shared';
import { PII_ENGINE_VERSION, ruleMessage, settingsMessage } from '@aegis/pii-engine';
import { tenantOf } from '../../pii/handler-deps.js';
import type { DlpChangeFeed } from '../dlp-change-feed.js';
import { loadDlpSnapshot } from '../dlp-snapshot.js';
import type { DlpStore } from '../ports.js';

// What an SDK needs to scan a tenant's content locally: its DLP at one revision, and word of
// every newer revision. The permission interceptor already checked dlp:watch and the tenant.

export interface DlpWatchDeps {
  feed: DlpChangeFeed;
  store: Pick<DlpStore, 'revision' | 'loadSettings' | 'loadRules'>;
  /** The platform tenant, whose principals may watch every tenant. */
  platformTenantId: string;
  /** A heartbeat follows this long after the last message. */
  heartbeatMs: number;
}

type WatchMessage = MessageInitShape<typeof WatchDlpChangesResponseSchema>;

/** Subscribes before saying so: a change committed after the caller read `subscribed` is always sent. */
export async function* watchDlpChanges(deps: DlpWatchDeps, req: WatchDlpChangesRequest, ctx: HandlerContext): AsyncGenerator<WatchMessage> {
  const caller = requirePrincipal(ctx);
  const requested = req.tenantId === '' ? undefined : requireTenantId(req.tenantId);
  const scope = requested ?? (caller.tenantId === deps.platformTenantId ? undefined : caller.tenantId);
  if (!deps.feed.open) throw unavailable('pii is shutting down: watch another instance', { retryAfterMs: 1_000 });
  const subscription = deps.feed.subscribe(scope);
  try {
    yield { event: { case: 'subscribed', value: { tenantId: scope ?? '', heartbeatInterval: durationFromMs(deps.heartbeatMs) } } };
    for (;;) {
      const changes = await subscription.next(deps.heartbeatMs, ctx.signal);
      if (changes === undefined) return;
      if (changes.length === 0) yield { event: { case: 'heartbeat', value: {} } };
      for (const { tenantId, revision } of changes) yield { event: { case: 'changed', value: { tenantId, revision } } };
    }
  } finally {
    subscription.close();
  }
}

export async function getDlpSnapshot(deps: DlpWatchDeps, req: GetDlpSnapshotRequest, ctx: HandlerContext): Promise<MessageInitShape<typeof GetDlpSnapshotResponseSchema>> {
  const snapshot = await loadDlpSnapshot(deps.store, tenantOf(req.tenantId, ctx));
  return {
    config: settingsMessage(snapshot.settings),
    rules: snapshot.rules.map(ruleMessage),
    revision: snapshot.revision,
    engineVersion: PII_ENGINE_VERSION,
  };
}
