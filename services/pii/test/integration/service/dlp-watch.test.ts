// WatchDlpChanges and GetDlpSnapshot, what an SDK needs to scan locally: both need dlp:watch;
// the snapshot holds exactly what Scan compiles (config, every rule, the revision) and the
// engine version; each committed change is streamed with the revision a snapshot then reports.
import { randomBytes } from 'node:crypto';
import { Code } from '@connectrpc/connect';
import { PII_ENGINE_VERSION } from '@aegis/pii-engine';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import type { WatchDlpChangesResponse } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { embeddedBackend, realBackend, rejection, startPii, TENANT, type PiiClients, type RunningPii } from './pii-service-harness.js';

describe.each([{ backend: realBackend }, { backend: embeddedBackend }])('DLP watch on $backend.name', ({ backend }) => {
  const run = randomBytes(4).toString('hex');
  let svc: RunningPii;
  let watcher: PiiClients;

  beforeAll(async () => {
    svc = await startPii(backend(), { AEGIS_PII_WATCH_HEARTBEAT_MS: '200' });
    watcher = svc.clients(await svc.keyWithPermissions(['dlp:watch']));
  }, 120_000);

  afterAll(async () => {
    await svc?.stop();
  }, 60_000);

  test('both RPCs need dlp:watch (dlp:read is not enough)', async () => {
    const reader = svc.clients(await svc.keyWithPermissions(['dlp:read', 'pii:detect']));
    expect((await rejection(reader.dlp.getDlpSnapshot({ tenantId: TENANT }))).code).toBe(Code.PermissionDenied);
    const stream = reader.dlp.watchDlpChanges({});
    expect((await rejection((async () => {
      for await (const _ of stream) return;
    })())).code).toBe(Code.PermissionDenied);
  });

  test('a tenant\'s caller reads and watches its own tenant only', async () => {
    const { tenantId, key } = await svc.keyInNewTenant(['dlp:watch']);
    const tenantCaller = svc.clients(key);
    expect((await rejection(tenantCaller.dlp.getDlpSnapshot({ tenantId: TENANT }))).code).toBe(Code.PermissionDenied);
    expect((await rejection((async () => {
      for await (const _ of tenantCaller.dlp.watchDlpChanges({ tenantId: TENANT })) return;
    })())).code).toBe(Code.PermissionDenied);
    expect((await tenantCaller.dlp.getDlpSnapshot({ tenantId })).engineVersion).toBe(PII_ENGINE_VERSION);
    // Without a tenant the stream is scoped to the caller's own, never to every tenant.
    const controller = new AbortController();
    for await (const message of tenantCaller.dlp.watchDlpChanges({}, { signal: controller.signal, timeoutMs: 0 })) {
      expect(message.event).toMatchObject({ case: 'subscribed', value: { tenantId } });
      break;
    }
    controller.abort();
  });

  test('changes stream with the revision the snapshot then reports; heartbeats in between', async () => {
    const controller = new AbortController();
    const received: WatchDlpChangesResponse[] = [];
    let wake: (() => void) | undefined;
    const reading = (async () => {
      try {
        for await (const message of watcher.dlp.watchDlpChanges({}, { signal: controller.signal, timeoutMs: 0 })) {
          received.push(message);
          wake?.();
        }
      } catch {
        // aborted at the end
      }
    })();
    const next = async (what: (m: WatchDlpChangesResponse) => boolean) => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const found = received.find(what);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    };
    const subscribed = await next((m) => m.event.case === 'subscribed');
    // The test tenant is the platform tenant: its principals watch every tenant.
    expect(subscribed.event.value).toMatchObject({ tenantId: '' });
    const before = await watcher.dlp.getDlpSnapshot({ tenantId: TENANT });
    expect(before.engineVersion).toBe(PII_ENGINE_VERSION);

    const name = `watched_${run}`;
    await svc.admin.dlp.createDlpRule({ tenantId: TENANT, rule: { name, match: { case: 'piiType', value: 'email' }, action: DlpAction.LOG, enabled: false } });
    const changed = await next((m) => m.event.case === 'changed' && m.event.value.tenantId === TENANT && m.event.value.revision > before.revision);
    const after = await watcher.dlp.getDlpSnapshot({ tenantId: TENANT });
    expect(after.revision).toBe((changed.event.value as { revision: bigint }).revision);
    // Disabled rules are part of the snapshot (Scan's compilation skips them).
    expect(after.rules.find((r) => r.name === name)).toMatchObject({ enabled: false, action: DlpAction.LOG });
    expect(after.config?.tenantId).toBe(TENANT);
    await next((m) => m.event.case === 'heartbeat');
    controller.abort();
    await reading;
  });
});
