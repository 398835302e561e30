// LocalScanner over an in-memory DlpService: it answers only while the change stream is live,
// for a tenant whose DLP it holds, with pii's engine version, and unless a BLOCK or alerting
// rule matched; then its answer is the one the service's Scan gives (findings flagged for
// pii's audit). Everything else is undefined (the guard asks pii).
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { createClient, createRouterTransport } from '@connectrpc/connect';
import { actionMessage, compileDlp, findingMessage, PII_ENGINE_VERSION, scan, settingsMessage, ruleMessage, defaultSettings, type DlpRuleSpec, type DlpSettings } from '@aegis/pii-engine';
import { ContentSchema, FindingSchema } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { RuleMatchSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { DlpService, type WatchDlpChangesResponseSchema } from '@aegis/proto/aegis/pii/v1/dlp_service_pb.js';
import { contentUnits, rebuildContent } from '../../../../services/pii/src/pii/content.js';
import { fromContent, toContent } from '../../src/guard/content.js';
import type { GuardContent } from '../../src/guard/types.js';
import { LocalScanner } from '../../src/scan/local-scanner.js';

type WatchMessage = MessageInitShape<typeof WatchDlpChangesResponseSchema>;

const until = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const RULES: DlpRuleSpec[] = [
  { tenantId: 'acme', name: 'redact_email', description: '', match: { kind: 'type', type: 'email' }, action: 'redact', alert: false, minScore: 0, directions: [], enabled: true, version: 1n, updatedBy: '' },
  { tenantId: 'acme', name: 'project_x', description: '', match: { kind: 'pattern', pattern: 'PROJECT-X' }, action: 'block', alert: false, minScore: 0, directions: ['input'], enabled: true, version: 1n, updatedBy: '' },
  { tenantId: 'acme', name: 'alert_iban', description: '', match: { kind: 'type', type: 'iban' }, action: 'mask', alert: true, minScore: 0, directions: [], enabled: true, version: 1n, updatedBy: '' },
];

/** A pii whose DLP the test sets, with a change stream the test feeds. */
function fakePii(opts: { maxReportsInFlight?: number } = {}) {
  const state = {
    settings: new Map<string, DlpSettings>([['acme', { ...defaultSettings('acme'), scanOutputs: false }]]),
    revision: new Map<string, bigint>([['acme', 4n]]),
    engineVersion: PII_ENGINE_VERSION,
    snapshots: 0,
    watches: 0,
  };
  let push: ((m: WatchMessage | 'end') => void) | undefined;
  const transport = createRouterTransport((router) => router.service(DlpService, {
    async *watchDlpChanges(_req, ctx) {
      state.watches += 1;
      const queue: (WatchMessage | 'end')[] = [];
      let wake: (() => void) | undefined;
      push = (m) => {
        queue.push(m);
        wake?.();
      };
      ctx.signal.addEventListener('abort', () => push?.('end'));
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if (item === 'end') return;
        yield item;
      }
    },
    getDlpSnapshot(req) {
      state.snapshots += 1;
      return {
        config: settingsMessage(state.settings.get(req.tenantId) ?? defaultSettings(req.tenantId)),
        rules: (req.tenantId === 'acme' ? RULES : []).map(ruleMessage),
        revision: state.revision.get(req.tenantId) ?? 0n,
        engineVersion: state.engineVersion,
      };
    },
  }));
  const scanner = new LocalScanner(createClient(DlpService, transport), { initialBackoffMs: 1, maxBackoffMs: 2, refusedBackoffMs: 10, ...opts });
  const send = (m: WatchMessage | 'end') => push!(m);
  const subscribe = async () => {
    scanner.scan('acme', 'warm-up', 'input');
    await until(() => push !== undefined, 'the stream');
    send({ event: { case: 'subscribed', value: { tenantId: '', heartbeatInterval: { seconds: 60n, nanos: 0 } } } });
    await until(() => scanner.stats().live, 'live');
  };
  /** First use of a tenant loads it in the background; wait until it is held. */
  const warm = async (tenantId: string) => {
    const before = state.snapshots;
    scanner.scan(tenantId, 'x', 'input');
    await until(() => state.snapshots > before, 'the snapshot read');
    await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return { state, scanner, send, subscribe, warm };
}

/** What the service's Scan answers, as the guard's remote path turns it into its result. */
function serverAnswer(settings: DlpSettings, rules: DlpRuleSpec[], content: GuardContent, direction: 'input' | 'output') {
  const units = contentUnits(create(ContentSchema, toContent(content)));
  const outcome = scan({ dlp: compileDlp(settings, rules), policy: compileDlp(settings, rules).policy, units: units.units, direction, options: {} });
  const rebuilt = create(ContentSchema, { kind: rebuildContent(units, new Map(outcome.units.map((u) => [u.path, u.text]))) });
  return {
    content: outcome.skipped ? content : fromContent(rebuilt, content),
    summary: {
      scanned: !outcome.skipped,
      findings: outcome.findings.map((f) => create(FindingSchema, findingMessage(f, f.replacement ?? ''))),
      matchedRules: outcome.matchedRules.map((m) => create(RuleMatchSchema, { ruleName: m.rule, action: actionMessage(m.action), alert: m.alert, findingCount: m.count })),
    },
    report: outcome.findings.length > 0,
  };
}

describe('LocalScanner', () => {
  test('nothing local before the stream is live', async () => {
    const pii = fakePii();
    expect(pii.scanner.scan('acme', 'hello', 'input')).toBeUndefined();
    expect(pii.state.snapshots).toBe(0);
    await pii.scanner.close();
  });

  test('an unknown tenant is read in the background; clean content then gets the server\'s answer', async () => {
    const pii = fakePii();
    await pii.subscribe();
    expect(pii.scanner.scan('acme', 'the weather is fine', 'input')).toBeUndefined();
    await until(() => pii.scanner.stats().tenants === 1, 'the tenant');
    const settings = pii.state.settings.get('acme')!;
    for (const content of ['the weather is fine', { json: { a: ['plain', 1, true, null], 'k\'ey': { b: 'text' } } }] as GuardContent[]) {
      const local = pii.scanner.scan('acme', content, 'input');
      expect(local).toBeDefined();
      expect(local).toEqual(serverAnswer(settings, RULES, content, 'input'));
    }
    expect(pii.state.snapshots).toBe(1);
    await pii.scanner.close();
  });

  test('a direction the tenant does not scan: the content back unchanged, scanned false, even with PII', async () => {
    const pii = fakePii();
    await pii.subscribe();
    await pii.warm('acme');
    const content = 'mail me at a@example.com';
    expect(pii.scanner.scan('acme', content, 'output')).toEqual({ content, summary: { scanned: false, findings: [], matchedRules: [] }, report: false });
    expect(serverAnswer(pii.state.settings.get('acme')!, RULES, content, 'output')).toEqual({ content, summary: { scanned: false, findings: [], matchedRules: [] }, report: false });
    await pii.scanner.close();
  });

  test('findings under LOG, MASK and REDACT rules: answered here as the server does, flagged for pii\'s audit', async () => {
    const pii = fakePii();
    await pii.subscribe();
    await pii.warm('acme');
    const settings = pii.state.settings.get('acme')!;
    for (const content of ['mail me at a@example.com', { json: { card: '4111 1111 1111 1111', to: ['b@example.org'] } }, 'SSN 536-90-4399'] as GuardContent[]) {
      const local = pii.scanner.scan('acme', content, 'input');
      expect(local).toEqual(serverAnswer(settings, RULES, content, 'input'));
      expect(local?.report).toBe(true);
    }
    expect(pii.scanner.scan('acme', 'mail me at a@example.com', 'input')?.content).toBe('mail me at ***REDACTED***');
    expect(pii.scanner.scan('acme', 'ok', 'input')?.report).toBe(false);
    await pii.scanner.close();
  });

  test('a BLOCK or an alerting rule matched: undefined, pii decides and records it first', async () => {
    const pii = fakePii();
    await pii.subscribe();
    await pii.warm('acme');
    expect(pii.scanner.scan('acme', 'about PROJECT-X', 'input')).toBeUndefined();
    expect(pii.scanner.scan('acme', 'pay to DE89 3704 0044 0532 0130 00 today', 'input')).toBeUndefined();
    // acme does not scan outputs: the same text as output is answered here, unscanned.
    expect(pii.scanner.scan('acme', 'about PROJECT-X', 'output')).toBeDefined();
    await pii.scanner.close();
  });

  test('report: pii\'s answer is counted, a differing one too, and close() waits for reports in flight', async () => {
    const pii = fakePii();
    await pii.subscribe();
    await pii.warm('acme');
    const local = pii.scanner.scan('acme', 'mail me at a@example.com', 'input')!;
    let answer: (v: { allowed: boolean; findings: unknown[] }) => void = () => {};
    pii.scanner.report(local, () => new Promise((resolve) => { answer = resolve as typeof answer; }) as never);
    pii.scanner.report(local, async () => { throw new Error('pii is down'); });
    let closed = false;
    const closing = pii.scanner.close().then(() => { closed = true; });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    answer({ allowed: true, findings: [] });
    await closing;
    expect(pii.scanner.stats()).toMatchObject({ reported: 1, reportsFailed: 1, reportsDiffering: 1 });
  });

  test('reports in flight are bounded: beyond the bound, content with findings waits for pii', async () => {
    const pii = fakePii({ maxReportsInFlight: 1 });
    await pii.subscribe();
    await pii.warm('acme');
    const local = pii.scanner.scan('acme', 'mail me at a@example.com', 'input')!;
    let answer: () => void = () => {};
    pii.scanner.report(local, () => new Promise((resolve) => { answer = () => resolve({ allowed: true, findings: [{}] } as never); }));
    expect(pii.scanner.scan('acme', 'mail me at a@example.com', 'input')).toBeUndefined();
    expect(pii.scanner.scan('acme', 'nothing here', 'input')).toBeDefined();
    answer();
    await until(() => pii.scanner.stats().reported === 1, 'the report');
    expect(pii.scanner.scan('acme', 'mail me at a@example.com', 'input')).toBeDefined();
    await pii.scanner.close();
  });

  test('another engine version: never local, read again only after the pause', async () => {
    const pii = fakePii();
    pii.state.engineVersion = '0.0.0-other';
    await pii.subscribe();
    await pii.warm('acme');
    expect(pii.scanner.scan('acme', 'hello', 'input')).toBeUndefined();
    expect(pii.scanner.stats().tenants).toBe(0);
    expect(pii.state.snapshots).toBe(1);
    await pii.scanner.close();
  });

  test('a newer revision drops the tenant; the next read takes the change', async () => {
    const pii = fakePii();
    await pii.subscribe();
    await pii.warm('acme');
    expect(pii.scanner.scan('acme', 'hello', 'output')?.summary.scanned).toBe(false);
    pii.state.settings.set('acme', defaultSettings('acme'));
    pii.state.revision.set('acme', 5n);
    pii.send({ event: { case: 'changed', value: { tenantId: 'acme', revision: 4n } } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pii.scanner.stats().tenants).toBe(1); // not newer than what is held
    pii.send({ event: { case: 'changed', value: { tenantId: 'acme', revision: 5n } } });
    await until(() => pii.scanner.stats().tenants === 0, 'the drop');
    expect(pii.scanner.scan('acme', 'hello', 'output')).toBeUndefined();
    await until(() => pii.scanner.stats().tenants === 1, 'the reload');
    expect(pii.scanner.scan('acme', 'hello', 'output')?.summary.scanned).toBe(true);
    await pii.scanner.close();
  });

  test('a snapshot read before a change the stream already reported is not kept', async () => {
    const pii = fakePii();
    await pii.subscribe();
    pii.send({ event: { case: 'changed', value: { tenantId: 'acme', revision: 9n } } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await pii.warm('acme'); // reads revision 4
    expect(pii.scanner.stats().tenants).toBe(0);
    pii.state.revision.set('acme', 9n);
    await pii.warm('acme');
    expect(pii.scanner.stats().tenants).toBe(1);
    await pii.scanner.close();
  });

  test('stream lost: everything dropped, nothing local until it is live again', async () => {
    const pii = fakePii();
    await pii.subscribe();
    await pii.warm('acme');
    expect(pii.scanner.scan('acme', 'hello', 'input')).toBeDefined();
    pii.send('end');
    await until(() => !pii.scanner.stats().live, 'the loss');
    expect(pii.scanner.scan('acme', 'hello', 'input')).toBeUndefined();
    expect(pii.scanner.stats().tenants).toBe(0);
    await until(() => pii.state.watches === 2, 'the reconnect');
    await pii.scanner.close();
  });

  test('a stream scoped to one tenant: other tenants stay remote', async () => {
    const pii = fakePii();
    pii.scanner.scan('acme', 'x', 'input');
    await until(() => pii.state.watches === 1, 'the stream');
    pii.send({ event: { case: 'subscribed', value: { tenantId: 'acme', heartbeatInterval: { seconds: 60n, nanos: 0 } } } });
    await until(() => pii.scanner.stats().live, 'live');
    expect(pii.scanner.scan('globex', 'hello', 'input')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pii.state.snapshots).toBe(0);
    await pii.scanner.close();
  });
});
