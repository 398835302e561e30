// The pii service through its API, on the embedded backends and on Postgres + Redis + Kafka:
// detection and transformations, tokens and their permission, DLP config hot-reload, Scan
// decisions and their audit events (never carrying a value), input validation.
import { randomBytes } from 'node:crypto';
import { fromJson } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { PiiAction } from '@aegis/proto/aegis/events/v1/audit_event_pb.js';
import { Outcome, type Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { RedactionStyle } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { DlpAction, ScanDirection } from '@aegis/proto/aegis/pii/v1/dlp_pb.js';
import { CommandRejection, ThreatKind } from '@aegis/proto/aegis/pii/v1/input_validation_service_pb.js';
import { embeddedBackend, piiAuditEvents, realBackend, rejection, startPii, TENANT, type RunningPii } from './pii-service-harness.js';

const text = (value: string) => ({ kind: { case: 'text' as const, value } });
const SAMPLE = 'Mail ana@example.org, call 415-555-2671, card 4111 1111 1111 1111, SSN 536-90-4399, from 192.168.1.10.';

describe.each([{ backend: embeddedBackend }, { backend: realBackend }])('pii service on $backend.name', ({ backend }) => {
  let svc: RunningPii;
  const run = randomBytes(3).toString('hex');

  beforeAll(async () => {
    svc = await startPii(backend());
  });
  afterAll(async () => {
    await svc?.stop();
  });

  test('Detect: types, UTF-16 offsets, detectors, JSON paths', async () => {
    const res = await svc.admin.pii.detect({ tenantId: TENANT, content: text(`😀 ${SAMPLE}`) });
    expect(res.hasPii).toBe(true);
    expect(res.types).toEqual(['credit_card', 'email', 'ip_address', 'phone', 'ssn']);
    const email = res.findings.find((f) => f.type === 'email')!;
    expect(`😀 ${SAMPLE}`.slice(email.start, email.end)).toBe('ana@example.org');
    expect(res.findings.find((f) => f.type === 'credit_card')!.detector).toMatch(/^luhn/);
    const json = await svc.admin.pii.detect({ tenantId: TENANT, content: { kind: { case: 'json', value: fromJson(ValueSchema, { customer: { emails: ['x a@b.io'] }, n: 5 }) } } });
    expect(json.findings.map((f) => [f.jsonPath, f.start, f.end])).toEqual([["$['customer']['emails'][0]", 2, 8]]);
  });

  test('Detect refuses a bad request pattern and an unknown type, naming the field', async () => {
    const bad = await rejection(svc.admin.pii.detect({ tenantId: TENANT, content: text('x'), options: { patterns: [{ name: 'p', regex: '(a)\\1' }] } }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toContain('options.patterns[0].regex');
    const unknown = await rejection(svc.admin.pii.detect({ tenantId: TENANT, content: text('x'), options: { types: ['passport'] } }));
    expect(unknown.rawMessage).toContain('options.types[0]');
    expect((await rejection(svc.admin.pii.detect({ tenantId: TENANT }))).code).toBe(Code.InvalidArgument);
  });

  test('Redact (instance placeholders), Mask (the plan\'s shapes), Hash (stable per tenant)', async () => {
    const redacted = await svc.admin.pii.redact({ tenantId: TENANT, content: text('a@x.io, b@x.io, a@x.io'), style: RedactionStyle.INSTANCE });
    expect(redacted.content?.kind).toEqual({ case: 'text', value: '<EMAIL_1>, <EMAIL_2>, <EMAIL_1>' });
    const fixed = await svc.admin.pii.redact({ tenantId: TENANT, content: text('a@x.io') });
    expect(fixed.content?.kind.value).toBe('***REDACTED***');
    const masked = await svc.admin.pii.mask({ tenantId: TENANT, content: text('email@example.com 555-123-4567') });
    expect(masked.content?.kind.value).toBe('e***@example.com ***-***-4567');
    expect(masked.findings.map((f) => f.replacement)).toEqual(['e***@example.com', '***-***-4567']);
    const h1 = await svc.admin.pii.hash({ tenantId: TENANT, content: text('a@x.io') });
    const h2 = await svc.admin.pii.hash({ tenantId: TENANT, content: text('again a@x.io') });
    expect(h1.content?.kind.value).toMatch(/^<EMAIL:[0-9a-f]{16}>$/);
    expect(h2.content?.kind.value).toBe(`again ${h1.content?.kind.value as string}`);
  });

  test('Tokenize, then Detokenize needs pii:detokenize and a purpose, and is audited without the value', async () => {
    const tokenized = await svc.admin.pii.tokenize({ tenantId: TENANT, content: text('SSN 536-90-4399') });
    const tokenText = tokenized.content?.kind.value as string;
    expect(tokenText).toMatch(/^SSN <tok:SSN:v1\.[A-Za-z0-9_-]+\./);
    expect(tokenized.keyId).not.toBe('');

    const detectOnly = svc.clients(await svc.keyWithPermissions(['pii:detect', 'pii:tokenize']));
    const denied = await rejection(detectOnly.pii.detokenize({ tenantId: TENANT, content: text(tokenText), purpose: 'support ticket' }));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.rawMessage).toContain('pii:detokenize');

    expect((await rejection(svc.admin.pii.detokenize({ tenantId: TENANT, content: text(tokenText) }))).code).toBe(Code.InvalidArgument);
    const purpose = `support ticket ${run}`;
    const restored = await svc.admin.pii.detokenize({ tenantId: TENANT, content: text(tokenText), purpose });
    expect(restored).toMatchObject({ content: { kind: { case: 'text', value: 'SSN 536-90-4399' } }, detokenizedCount: 1 });

    const events = await piiAuditEvents(svc.events, (seen) => seen.some((e) => isDetokenized(e, purpose)));
    const event = events.find((e) => isDetokenized(e, purpose))!;
    expect(event.payload.value).toMatchObject({ data: { pii: [{ type: 'ssn', count: 1n, action: PiiAction.DETOKENIZED }] } });
    expect(JSON.stringify(event, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('536-90-4399');
  });

  test('DLP: config and rules, hot-reloaded into Scan; blocks and alerts are audited with keyed hashes only', async () => {
    const block = `cards_${run}`;
    const mask = `ssns_${run}`;
    await svc.admin.dlp.updateDlpConfig({ tenantId: TENANT, config: { scanInputs: true, scanOutputs: false, allowList: ['support@acme.com'], redactionStyle: RedactionStyle.TYPE } });
    await svc.admin.dlp.createDlpRule({ tenantId: TENANT, rule: { name: mask, match: { case: 'piiType', value: 'ssn' }, action: DlpAction.MASK, alert: true, enabled: true } });
    // A change reaches Scan through the change notification, not within the write's own call: wait for it.
    const ssnScan = await pollFor(() => svc.admin.pii.scan({ tenantId: TENANT, content: text('SSN 536-90-4399 support@acme.com'), direction: ScanDirection.INPUT }), (r) => r.matchedRules.some((m) => m.ruleName === mask));
    expect(ssnScan).toMatchObject({ allowed: true, skipped: false, content: { kind: { case: 'text', value: 'SSN ***-**-4399 support@acme.com' } } });
    expect(ssnScan.matchedRules).toEqual([expect.objectContaining({ ruleName: mask, action: DlpAction.MASK, alert: true, findingCount: 1 })]);

    await svc.admin.dlp.createDlpRule({ tenantId: TENANT, rule: { name: block, match: { case: 'pattern', value: '\\b\\d{4}[- ]?\\d{4}[- ]?\\d{4}[- ]?\\d{4}\\b' }, action: DlpAction.BLOCK, alert: true, enabled: true } });
    const blocked = await pollFor(() => svc.admin.pii.scan({ tenantId: TENANT, content: text(SAMPLE), direction: ScanDirection.INPUT }), (r) => !r.allowed);
    expect(blocked).toMatchObject({ allowed: false, blockingRule: block });
    expect(blocked.content).toBeUndefined();
    // The guard SDK already answered it locally with an older copy of the rules: the answer is
    // the same, and the audit records a missed block (the content went through), not a block.
    expect((await svc.admin.pii.scan({ tenantId: TENANT, content: text(SAMPLE), direction: ScanDirection.INPUT, answeredLocally: true })).allowed).toBe(false);
    // Outputs are not scanned for this tenant.
    expect((await svc.admin.pii.scan({ tenantId: TENANT, content: text(SAMPLE), direction: ScanDirection.OUTPUT })).skipped).toBe(true);

    // Disabling the rule applies at once (the change notification reloads the tenant).
    const rule = (await svc.admin.dlp.getDlpRule({ tenantId: TENANT, name: block })).rule!;
    await svc.admin.dlp.updateDlpRule({ tenantId: TENANT, rule: { ...rule, enabled: false }, expectedVersion: rule.version });
    expect((await rejection(svc.admin.dlp.updateDlpRule({ tenantId: TENANT, rule: { ...rule, enabled: false }, expectedVersion: rule.version }))).code).toBe(Code.Aborted);
    await expect(pollUntil(async () => (await svc.admin.pii.scan({ tenantId: TENANT, content: text(SAMPLE), direction: ScanDirection.INPUT })).allowed)).resolves.toBe(true);

    const events = await piiAuditEvents(svc.events, (seen) => seen.some((e) => e.action === 'dlp.blocked' && mentions(e, block)) && seen.some((e) => e.action === 'dlp.alerted' && mentions(e, mask))
      && seen.some((e) => e.action === 'dlp.block_missed' && mentions(e, block)));
    const blockedEvent = events.find((e) => e.action === 'dlp.blocked' && mentions(e, block))!;
    expect(blockedEvent.outcome).toBe(Outcome.DENIED);
    const missed = events.find((e) => e.action === 'dlp.block_missed' && mentions(e, block))!;
    expect(missed.outcome).toBe(Outcome.SUCCESS);
    expect((missed.payload.value as { details: { key: string; value: string }[] }).details).toContainEqual(expect.objectContaining({ key: 'answered_locally', value: 'true' }));
    const audit = blockedEvent.payload.value as { data: { pii: { type: string; valueHashes: string[] }[] } };
    expect(audit.data.pii.map((p) => p.type)).toContain(block);
    expect(audit.data.pii.every((p) => p.valueHashes.every((h) => /^[0-9a-f]{16}$/.test(h)))).toBe(true);
    const serialized = JSON.stringify(events, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    for (const value of ['4111 1111 1111 1111', '536-90-4399', 'ana@example.org']) expect(serialized).not.toContain(value);
    expect(events.some((e) => e.action === 'dlp_config.changed')).toBe(true);

    const list = await svc.admin.dlp.listDlpRules({ tenantId: TENANT, pageSize: 1 });
    expect(list.rules).toHaveLength(1);
    expect(list.nextPageToken).not.toBe('');
    await svc.admin.dlp.deleteDlpRule({ tenantId: TENANT, name: block });
    expect((await rejection(svc.admin.dlp.getDlpRule({ tenantId: TENANT, name: block }))).code).toBe(Code.NotFound);
    const badRule = await rejection(svc.admin.dlp.createDlpRule({ tenantId: TENANT, rule: { name: 'x', match: { case: 'pattern', value: '(?=a)' }, action: DlpAction.LOG } }));
    expect(badRule.rawMessage).toContain('rule.pattern');
  });

  test('input validation RPCs', async () => {
    const v = svc.admin.validation;
    expect(await v.validateInput({ tenantId: TENANT, text: 'Please update the report' })).toMatchObject({ suspicious: false, signals: [] });
    const sqli = await v.validateInput({ tenantId: TENANT, text: "admin' OR '1'='1" });
    expect(sqli.signals[0]).toMatchObject({ kind: ThreatKind.SQL_INJECTION, rule: 'sql.tautology' });
    expect(await v.sanitizeHtml({ tenantId: TENANT, html: '<b>hi</b><script>x</script>' })).toMatchObject({ html: 'hi', modified: true });
    expect(await v.sanitizeCommand({ tenantId: TENANT, command: 'ls -la "my dir"', allowedPrograms: ['ls'] })).toMatchObject({ allowed: true, argv: ['ls', '-la', 'my dir'] });
    expect(await v.sanitizeCommand({ tenantId: TENANT, command: 'ls; rm -rf /', allowedPrograms: ['ls'] })).toMatchObject({ allowed: false, rejection: CommandRejection.SHELL_METACHARACTER });
    expect((await rejection(v.sanitizeCommand({ tenantId: TENANT, command: 'ls', allowedPrograms: [] }))).code).toBe(Code.InvalidArgument);
    expect(await v.stripInvisible({ tenantId: TENANT, text: 'a\u200bb' })).toMatchObject({ text: 'ab', characters: [{ offset: 1, codePoint: 0x200b, category: 'Cf' }] });
  });

  test('callers need the contract\'s permission, and stay in their tenant', async () => {
    const nothing = svc.clients(await svc.keyWithPermissions(['agent:read']));
    expect((await rejection(nothing.pii.detect({ tenantId: TENANT, content: text('x') }))).code).toBe(Code.PermissionDenied);
    const reader = svc.clients(await svc.keyWithPermissions(['pii:detect']));
    expect((await reader.pii.detect({ content: text('a@x.io') })).hasPii).toBe(true);
    expect((await rejection(reader.dlp.updateDlpConfig({ tenantId: TENANT, config: {} }))).code).toBe(Code.PermissionDenied);
  });
});

function isDetokenized(e: Event, purpose: string): boolean {
  return e.action === 'pii.detokenized' && mentions(e, purpose);
}

function mentions(e: Event, text: string): boolean {
  return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).includes(text);
}

/** Calls `fn` until `done` holds of its answer (or the time is up), and returns the last answer. */
async function pollFor<T>(fn: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function pollUntil<T>(fn: () => Promise<T>, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}
