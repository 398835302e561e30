// `aegis audit tail` in process against a running audit sink (auth + policy + audit on the
// embedded backends): human lines, filters, and a --json capture that `aegis audit verify --file`
// verifies; bad flags are invalid input, a refused permission says so.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { eventFromJson } from '@aegis/shared/audit-integrity';
import { auditEvent } from '../../../../services/audit/test/integration/service/audit-events.js';
import { eventually, startAudit, uniqueTenant, type RunningAudit } from '../../../../services/audit/test/integration/service/audit-harness.js';
import { runCli } from '../../src/cli.js';
import { EXIT, type CliIO } from '../../src/command.js';

function capture(env: Record<string, string> = {}): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, cwd: '/', out: () => out, err: () => err };
}

let sink: RunningAudit;
let dir: string;
const tenantId = uniqueTenant('tail');
const published: string[] = [];

beforeAll(async () => {
  sink = await startAudit();
  dir = await mkdtemp(join(tmpdir(), 'aegis-audit-tail-'));
  // Four events of one chain, checkpointed after the second and the fourth.
  const publisher = sink.publisherWith({ checkpointEvery: 2 });
  const events = [
    auditEvent({ tenantId, userId: 'u-ann', action: 'api_key.created', message: 'key created for ann' }),
    auditEvent({ tenantId, userId: 'u-bob', action: 'policy.decision', outcome: Outcome.DENIED, source: 'auth', classification: DataClassification.CONFIDENTIAL, message: 'denied document:read' }),
    auditEvent({ tenantId, userId: 'u-ann', action: 'api_key.revoked', message: 'key revoked: leaked' }),
    auditEvent({ tenantId, userId: 'u-bob', action: 'api_key.created' }),
  ];
  for (const event of events) {
    await publisher.publish(event);
    published.push(event.id);
  }
  await eventually(async () => ((await sink.admin.queryAuditEvents({ tenantId })).events.length >= 6 ? true : undefined), 30_000, 'the events and checkpoints to be stored');
}, 120_000);

afterAll(async () => {
  await sink?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const connection = () => ['--audit-url', sink.url, '--tenant', tenantId];

test('--json: canonical JSON lines of the replayed stream, which audit verify --file accepts', async () => {
  const io = capture({ AEGIS_API_KEY: sink.adminKey });
  expect(await runCli(['audit', 'tail', ...connection(), '--since', '1h', '--json', '--max-events', '6'], io)).toBe(EXIT.ok);
  const lines = io.out().trim().split('\n');
  const events = lines.map((line) => eventFromJson(line));
  expect(events.filter((e) => e.payload.case === 'audit').map((e) => e.id)).toEqual(published);
  expect(events.filter((e) => e.payload.case === 'auditCheckpoint')).toHaveLength(2);

  const file = join(dir, 'tail.jsonl');
  await writeFile(file, io.out());
  const verify = capture({ AEGIS_AUDIT_PUBLIC_KEYS: sink.signingKey.publicKeyBase64 });
  expect(await runCli(['audit', 'verify', '--file', file, '--json'], verify)).toBe(EXIT.ok);
  expect(JSON.parse(verify.out())).toMatchObject({ ok: true, events: 4, checkpoints: 2, unverifiedTail: 0 });
}, 60_000);

test('human lines, with filters as flags', async () => {
  const io = capture({ AEGIS_API_KEY: sink.adminKey });
  expect(await runCli(['audit', 'tail', ...connection(), '--since', '1h', '--user', 'u-ann', '--action', 'api_key.revoked', '--max-events', '1'], io)).toBe(EXIT.ok);
  expect(io.out()).toMatch(new RegExp(`^\\S+Z ${tenantId} auth api_key.revoked SUCCESS actor=u-ann user=u-ann internal "key revoked: leaked" id=${published[2]}\\n$`));
  const denied = capture({ AEGIS_API_KEY: sink.adminKey });
  expect(await runCli(['audit', 'tail', ...connection(), '--since', '1h', '--outcome', 'denied', '--min-classification', 'confidential', '--max-events', '1'], denied)).toBe(EXIT.ok);
  expect(denied.out()).toContain(`policy.decision DENIED`);
  expect(denied.out()).toContain(published[1]);
}, 60_000);

test('bad flags are invalid input; a credential without audit:read is refused with a hint', async () => {
  for (const args of [['--outcome', 'maybe'], ['--since', 'yesterday'], ['--max-events', '0'], ['--audit-url', 'ftp://x'], ['--bogus']]) {
    const io = capture({ AEGIS_API_KEY: sink.adminKey });
    expect({ args, code: await runCli(['audit', 'tail', ...args], io) }).toEqual({ args, code: EXIT.invalidInput });
  }
  const noKey = capture();
  expect(await runCli(['audit', 'tail', ...connection()], noKey)).toBe(EXIT.invalidInput);
  expect(noKey.err()).toContain('AEGIS_API_KEY');
  // The server rejects an invalid action name: InvalidArgument naming the field.
  const badAction = capture({ AEGIS_API_KEY: sink.adminKey });
  expect(await runCli(['audit', 'tail', ...connection(), '--action', 'Not An Action'], badAction)).toBe(EXIT.invalidInput);
  expect(badAction.err()).toContain('filter.actions[0]');
  const viewer = capture({ AEGIS_API_KEY: await sink.viewerKey() });
  expect(await runCli(['audit', 'tail', '--audit-url', sink.url, '--tenant', 'default', '--max-events', '1'], viewer)).toBe(EXIT.unavailable);
  expect(viewer.err()).toMatch(/PermissionDenied: .*audit:read/);
}, 60_000);
