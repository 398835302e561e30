// The guard's local DLP scan against the real pii service (with auth and policy, on Postgres,
// Redis and Kafka, and on the embedded backends), with the platform service's guard key: clean
// content is answered without a Scan reaching pii; PII under a rule without alert is answered
// here too and then sent to pii for its audit; under an alerting rule it goes to pii first; a DLP rule change applies to the next scans within a second; with the change
// stream cut, every scan goes to pii again. Scan calls are counted by a client interceptor.
import { randomBytes } from 'node:crypto';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { DlpAction } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { RedactionStyle } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { embeddedBackend, piiAuditEvents, realBackend, startPii, TENANT, type RunningPii } from '../../../../services/pii/test/integration/service/pii-service-harness.js';
import { createAegisClients, DlpBlockedError, GUARD_PERMISSIONS, type AegisClients } from '../../src/index.js';
import { scan } from '../../src/guard/dlp.js';

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

describe.each([{ backend: realBackend }, { backend: embeddedBackend }])('local scan on $backend.name', ({ backend }) => {
  const run = randomBytes(4).toString('hex');
  let svc: RunningPii;
  let sdk: AegisClients;
  let remote: AegisClients;
  let scans = 0;
  let cut = false;
  const watches = new Set<AbortController>();

  beforeAll(async () => {
    svc = await startPii(backend(), { AEGIS_PII_WATCH_HEARTBEAT_MS: '200' });
    const guardKey = await svc.keyWithPermissions([...GUARD_PERMISSIONS]);
    await svc.admin.dlp.updateDlpConfig({ tenantId: TENANT, config: { scanInputs: true, scanOutputs: true, redactionStyle: RedactionStyle.TYPE } });
    await svc.admin.dlp.createDlpRule({ tenantId: TENANT, rule: { name: `emails_${run}`, match: { case: 'piiType', value: 'email' }, action: DlpAction.REDACT, alert: true, enabled: true } });
    await svc.admin.dlp.createDlpRule({ tenantId: TENANT, rule: { name: `ibans_${run}`, match: { case: 'piiType', value: 'iban' }, action: DlpAction.MASK, alert: false, enabled: true } });
    const countScans: Interceptor = (next) => (req) => {
      if (req.method.name === 'Scan') scans += 1;
      return next(req);
    };
    // Cuts WatchDlpChanges on demand: open streams end, new ones are refused until restored.
    const cutter: Interceptor = (next) => async (req) => {
      if (req.method.name !== 'WatchDlpChanges') return next(req);
      if (cut) throw new ConnectError('cut by the test', Code.Unavailable);
      const controller = new AbortController();
      watches.add(controller);
      return next({ ...req, signal: AbortSignal.any([req.signal, controller.signal]) });
    };
    const common = { urls: svc.url, apiKey: guardKey, httpVersion: '1.1' as const, credentialCache: false as const, decisionCache: false as const };
    sdk = createAegisClients({ ...common, interceptors: [countScans, cutter], localScan: { initialBackoffMs: 20, maxBackoffMs: 50 } });
    remote = createAegisClients({ ...common, localScan: false });
  }, 120_000);

  afterAll(async () => {
    await sdk?.close();
    await remote?.close();
    await svc?.stop();
  }, 60_000);

  const scanner = () => sdk.pii.localScanner!;
  const input = (content: string) => scan(sdk.pii, TENANT, content, 'input', {});
  /** Clean text until it is answered without a Scan call: the stream is live and the tenant held. */
  const warm = () => eventually(async () => {
    const before = scans;
    await input('warming up');
    return scans === before ? true : undefined;
  }, 'the local scan to answer');

  test('clean text: no Scan reaches pii, and the answer is the one pii gives', async () => {
    await warm();
    const before = scans;
    const clean = 'Please summarise the quarterly report in three bullet points.';
    const local = await input(clean);
    const json = { json: { messages: [{ role: 'user', content: clean }], n: 2 } };
    const localJson = await scan(sdk.pii, TENANT, json, 'input', {});
    expect(scans).toBe(before);
    expect(local).toEqual(await scan(remote.pii, TENANT, clean, 'input', {}));
    expect(localJson).toEqual(await scan(remote.pii, TENANT, json, 'input', {}));
    expect(local).toEqual({ content: clean, summary: { scanned: true, findings: [], matchedRules: [] } });
    expect(scanner().stats()).toMatchObject({ live: true, tenants: 1 });
  });

  test('PII under a rule without alert: answered here as pii answers, then sent to pii for its audit', async () => {
    await warm();
    const before = scans;
    const text = `pay ${run} to DE89 3704 0044 0532 0130 00 by Friday`;
    const local = await input(text);
    expect(local.content).not.toContain('3704 0044');
    expect(local.summary.matchedRules).toEqual([expect.objectContaining({ ruleName: `ibans_${run}`, findingCount: 1 })]);
    expect(local).toEqual(await scan(remote.pii, TENANT, text, 'input', {}));
    // The report: Scan reaches pii after the answer, and pii records the detection.
    await eventually(() => (scans === before + 1 && scanner().stats().reported > 0 ? true : undefined), 'the report to pii');
    expect(scanner().stats().reportsDiffering).toBe(0);
    const events = await piiAuditEvents(svc.events, (seen) => seen.some((e) => e.action === 'pii.detected' && JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes('iban')));
    expect(events.some((e) => e.action === 'pii.detected')).toBe(true);
  }, 60_000);

  test('text with PII under an alerting rule: Scan at pii before the answer, which redacts and audits it', async () => {
    await warm();
    const before = scans;
    const mail = `ada-${run}@example.com`;
    const result = await input(`write to ${mail} today`);
    expect(scans).toBe(before + 1);
    expect(result.content).toBe('write to <EMAIL> today');
    expect(result.summary.matchedRules).toEqual([expect.objectContaining({ ruleName: `emails_${run}`, findingCount: 1 })]);
    const events = await piiAuditEvents(svc.events, (seen) => seen.some((e) => e.action === 'dlp.alerted' && JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes(`emails_${run}`)));
    expect(events.some((e) => e.action === 'dlp.alerted')).toBe(true);
  }, 60_000);

  test('a DLP rule change applies within a second', async () => {
    await warm();
    const secret = `ZETA${run.toUpperCase()}`;
    await expect(input(`about ${secret}`)).resolves.toMatchObject({ content: `about ${secret}` });
    const changed = Date.now();
    await svc.admin.dlp.createDlpRule({ tenantId: TENANT, rule: { name: `zeta_${run}`, match: { case: 'pattern', value: secret }, action: DlpAction.BLOCK, enabled: true } });
    const blockedAfter = await eventually(async () => {
      try {
        await input(`about ${secret}`);
        return undefined;
      } catch (err) {
        if (err instanceof DlpBlockedError) return Date.now() - changed;
        throw err;
      }
    }, 'the block', 5_000, 10);
    expect(blockedAfter).toBeLessThan(1_000);
    // The change reached the local scanner too: clean text is local again once re-read.
    await warm();
  });

  test('stream cut: every scan goes to pii until it is back', async () => {
    await warm();
    cut = true;
    for (const controller of watches) controller.abort(new Error('cut'));
    watches.clear();
    await eventually(() => (scanner().stats().live ? undefined : true), 'the loss');
    const before = scans;
    await input('nothing to see here');
    await input('nothing to see here either');
    expect(scans).toBe(before + 2);
    expect(scanner().stats().tenants).toBe(0);
    cut = false;
    await warm();
    expect(scanner().stats().live).toBe(true);
  });
});
