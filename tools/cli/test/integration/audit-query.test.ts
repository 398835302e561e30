// `aegis audit query` and `aegis audit verify --server` against the audit sink on the real
// backends (a fresh Postgres database, Redis under a prefix of this run, a Kafka topic of this
// run), with auth and policy deciding credentials and permissions; and `aegis audit tail` as the
// spawned binary, stopped by Ctrl-C. Stored rows are tampered with through the sink's database.
import { spawn } from 'node:child_process';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { DataClassification } from '@aegis/proto/aegis/common/v1/classification_pb.js';
import { EventSchema, Outcome } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { eventFromJson } from '@aegis/shared/audit-integrity';
import { auditEvent, DAY, MINUTE } from '../../../../services/audit/test/integration/service/audit-events.js';
import { eventually, realAuditBackend, startAudit, uniqueTenant, type RunningAudit } from '../../../../services/audit/test/integration/service/audit-harness.js';
import { EXIT } from '../../src/command.js';
import { REPO_ROOT } from '../aegis-process.js';
import { aegisIn } from './platform-harness.js';

let sink: RunningAudit;
const tenantId = uniqueTenant('query');
/** The audit events of `tenantId`, oldest first. */
const trail: string[] = [];

beforeAll(async () => {
  sink = await startAudit({ backend: realAuditBackend() });
  const now = Date.now();
  // Six events over three days from one producer (one chain: a producer_id is per source),
  // checkpointed after every second event.
  const publisher = sink.publisherWith({ checkpointEvery: 2 });
  const events = [
    auditEvent({ tenantId, userId: 'u-ann', action: 'api_key.created', timeMs: now - 3 * DAY, message: 'key created for ann' }),
    auditEvent({ tenantId, userId: 'u-bob', action: 'policy.decision', outcome: Outcome.DENIED, classification: DataClassification.CONFIDENTIAL, timeMs: now - 2 * DAY, message: 'denied document:read' }),
    auditEvent({ tenantId, userId: 'u-ann', action: 'api_key.revoked', timeMs: now - DAY, message: 'key revoked: leaked' }),
    auditEvent({ tenantId, userId: 'u-bob', action: 'api_key.created', timeMs: now - 30 * MINUTE }),
    auditEvent({ tenantId, userId: 'u-ann', action: 'api_key.rotated', timeMs: now - 20 * MINUTE }),
    auditEvent({ tenantId, userId: 'u-cy', action: 'user.created', timeMs: now - 10 * MINUTE }),
  ];
  for (const event of events) {
    await publisher.publish(event);
    trail.push(event.id);
  }
  // Six events and three checkpoints.
  await eventually(async () => ((await sink.admin.queryAuditEvents({ tenantId })).events.length >= 9 ? true : undefined), 60_000, 'the events and checkpoints to be stored');
}, 180_000);

afterAll(async () => {
  await sink?.stop();
}, 60_000);

const env = (key = sink.adminKey) => ({ AEGIS_API_KEY: key, AEGIS_AUDIT_URL: sink.url });
const auditIds = (doc: { events: unknown[] }) => doc.events.map((e) => eventFromJson(JSON.stringify(e))).filter((e) => e.payload.case === 'audit').map((e) => e.id);

describe('audit query', () => {
  test('filters by user, action, outcome and classification; the table shows each match', async () => {
    const ann = await aegisIn(['audit', 'query', '--tenant', tenantId, '--user', 'u-ann', '--json'], env());
    expect(ann.code).toBe(EXIT.ok);
    // Newest first by default.
    expect(auditIds(ann.json())).toEqual([trail[4], trail[2], trail[0]]);
    expect(ann.json().nextPageToken).toBe('');

    const revoked = await aegisIn(['audit', 'query', '--tenant', tenantId, '--user', 'u-ann', '--action', 'api_key.revoked'], env());
    expect(revoked.code).toBe(EXIT.ok);
    const [header, row, ...rest] = revoked.stdout.trim().split('\n');
    expect(header).toMatch(/^TIME\s+SOURCE\s+ACTION\s+OUTCOME\s+ACTOR\s+USER\s+CLASS\s+ID\s+MESSAGE$/);
    expect(row).toMatch(new RegExp(`^\\S+Z\\s+auth\\s+api_key\\.revoked\\s+success\\s+u-ann\\s+u-ann\\s+internal\\s+${trail[2]}\\s+key revoked: leaked$`));
    expect(rest).toEqual([]);

    const denied = await aegisIn(['audit', 'query', '--tenant', tenantId, '--outcome', 'denied', '--min-classification', 'confidential', '--json'], env());
    expect(auditIds(denied.json())).toEqual([trail[1]]);

    const none = await aegisIn(['audit', 'query', '--tenant', tenantId, '--user', 'u-nobody'], env());
    expect(none).toMatchObject({ code: EXIT.ok, stdout: '(no matching audit events)\n' });
  });

  test('a time window, oldest first', async () => {
    const old = await aegisIn(['audit', 'query', '--tenant', tenantId, '--source', 'auth', '--until', '1h', '--ascending', '--json'], env());
    expect(old.code).toBe(EXIT.ok);
    expect(auditIds(old.json())).toEqual([trail[0], trail[1], trail[2]]);
    const otherSource = await aegisIn(['audit', 'query', '--tenant', tenantId, '--source', 'policy', '--json'], env());
    expect(otherSource.json().events).toEqual([]);
    const recent = await aegisIn(['audit', 'query', '--tenant', tenantId, '--since', '1h', '--ascending', '--json'], env());
    expect(auditIds(recent.json())).toEqual([trail[3], trail[4], trail[5]]);
  });

  test('pages: --limit stops with a token to continue, --page-token continues, --all reads every page', async () => {
    const first = await aegisIn(['audit', 'query', '--tenant', tenantId, '--ascending', '--limit', '4', '--json'], env());
    expect(first.code).toBe(EXIT.ok);
    const page1 = first.json();
    expect(page1.events).toHaveLength(4);
    expect(page1.nextPageToken).not.toBe('');
    const next = await aegisIn(['audit', 'query', '--tenant', tenantId, '--ascending', '--limit', '100', '--page-token', page1.nextPageToken, '--json'], env());
    const page2 = next.json();
    expect(page2).toMatchObject({ nextPageToken: '' });
    // Together: every event and checkpoint once, in stored order.
    const ids = [...page1.events, ...page2.events].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(9);
    expect([...auditIds(page1), ...auditIds(page2)]).toEqual(trail);

    const human = await aegisIn(['audit', 'query', '--tenant', tenantId, '--ascending', '--limit', '4'], env());
    expect(human.stdout).toMatch(/more events: continue with --page-token \S+ \(same filters\), or use --all\n$/);

    // --all follows every page; two events a request makes five of them.
    const everything = await aegisIn(['audit', 'query', '--tenant', tenantId, '--ascending', '--all', '--page-size', '2', '--json', '--progress'], env());
    expect(everything.code).toBe(EXIT.ok);
    expect(auditIds(everything.json())).toEqual(trail);
    expect(everything.json()).toMatchObject({ nextPageToken: '' });
    expect(everything.json().events).toHaveLength(9);
    expect(everything.stderr.trim().split('\n')).toEqual(['fetched 2 events...', 'fetched 4 events...', 'fetched 6 events...', 'fetched 8 events...']);

    // A window given as a duration ago is repeated as the time it meant, so the token still fits.
    const windowed = await aegisIn(['audit', 'query', '--tenant', tenantId, '--since', '7d', '--ascending', '--limit', '3'], env());
    const hint = /continue with --since (\S+) --page-token (\S+) /.exec(windowed.stdout);
    expect(hint).not.toBeNull();
    const rest = await aegisIn(['audit', 'query', '--tenant', tenantId, '--since', hint![1]!, '--ascending', '--page-token', hint![2]!, '--json'], env());
    expect(rest.code).toBe(EXIT.ok);
    expect(rest.json().events).toHaveLength(6);
  });

  test('bad flags are invalid input; a page token of another query is refused by the sink; a viewer lacks audit:read', async () => {
    for (const args of [['--limit', '0'], ['--limit', '10', '--all'], ['--page-size', '1001'], ['--since', 'yesterday'], ['--outcome', 'maybe'], ['--audit-url', 'ftp://x'], ['--bogus']]) {
      const run = await aegisIn(['audit', 'query', '--tenant', tenantId, ...args], env());
      expect({ args, code: run.code }).toEqual({ args, code: EXIT.invalidInput });
    }
    const first = await aegisIn(['audit', 'query', '--tenant', tenantId, '--limit', '2', '--json'], env());
    const otherQuery = await aegisIn(['audit', 'query', '--tenant', tenantId, '--user', 'u-ann', '--page-token', first.json().nextPageToken, '--json'], env());
    expect(otherQuery.code).toBe(EXIT.invalidInput);
    expect(otherQuery.json().error.code).toBe('invalid_argument');

    const viewer = await aegisIn(['audit', 'query', '--tenant', 'default'], env(await sink.viewerKey()));
    expect(viewer.code).toBe(EXIT.unavailable);
    expect(viewer.stderr).toMatch(/audit \(http:\/\/[^)]+\): PermissionDenied: .*audit:read/);

    const down = await aegisIn(['audit', 'query', '--tenant', tenantId], { AEGIS_API_KEY: sink.adminKey, AEGIS_AUDIT_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(EXIT.unavailable);
    expect(down.stderr).toContain('is the audit service running there? Set --audit-url, AEGIS_AUDIT_URL or AEGIS_URL');
  });
});

describe('audit verify --server', () => {
  test('an intact tenant verifies, as text and --json', async () => {
    const text = await aegisIn(['audit', 'verify', '--server', '--tenant', tenantId], env());
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toMatch(/^1 chain\(s\) stored by the sink\n {2}ok {3}auth\/\S+: sequences 1-6, 6 verified, signed through 6\nverified\n$/);
    const json = await aegisIn(['audit', 'verify', '--server', '--tenant', tenantId, '--require-signed', '--json'], env());
    expect(json.code).toBe(EXIT.ok);
    expect(json.json()).toMatchObject({ intact: true, chains: [{ firstSequence: '1', lastSequence: '6', verifiedCount: '6', signedSequence: '6', violations: [] }] });
  });

  test('events past the last checkpoint pass, unless --require-signed', async () => {
    const unsignedTenant = uniqueTenant('unsigned');
    // The harness's own publisher checkpoints after 1000 events or an hour: these stay unsigned.
    for (let i = 0; i < 2; i++) await sink.publisher.publish(auditEvent({ tenantId: unsignedTenant }));
    await eventually(async () => ((await sink.admin.queryAuditEvents({ tenantId: unsignedTenant })).events.length >= 2 ? true : undefined), 30_000, 'the unsigned events to be stored');
    const lenient = await aegisIn(['audit', 'verify', '--server', '--tenant', unsignedTenant], env());
    expect(lenient.code).toBe(EXIT.ok);
    expect(lenient.stdout).toContain('unverified tail 2 event(s) after the last valid checkpoint');
    expect(lenient.stdout).toMatch(/verified \(2 event\(s\) in unverified tails\)\n$/);
    const strict = await aegisIn(['audit', 'verify', '--server', '--tenant', unsignedTenant, '--require-signed'], env());
    expect(strict.code).toBe(EXIT.failed);
  });

  test('a stored row altered after the fact fails verification, naming the event', async () => {
    const victim = trail[2]!;
    const row = await sink.db.query<{ body: Uint8Array }>('SELECT body FROM audit_records WHERE event_id = $1', [victim]);
    const tampered = fromBinary(EventSchema, row.rows[0]!.body);
    if (tampered.payload.case !== 'audit') throw new Error('not an audit event');
    tampered.payload.value.message = 'nothing to see here';
    await sink.db.query('UPDATE audit_records SET body = $1 WHERE event_id = $2', [toBinary(EventSchema, tampered), victim]);

    const run = await aegisIn(['audit', 'verify', '--server', '--tenant', tenantId], env());
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toMatch(/ FAIL auth\/\S+: sequences 1-6/);
    expect(run.stdout).toContain(`altered at sequence 3 (event ${victim})`);
    expect(run.stdout).toMatch(/\d+ violation\(s\)\n$/);
    const json = await aegisIn(['audit', 'verify', '--server', '--tenant', tenantId, '--json'], env());
    expect(json.code).toBe(EXIT.failed);
    expect(json.json().intact).toBe(false);
    expect(json.json().chains[0].violations).toContainEqual(expect.objectContaining({ kind: 'CHAIN_VIOLATION_KIND_ALTERED', sequence: '3', eventId: victim }));
  });

  test('local input options do not mix with --server; a viewer lacks audit:verify', async () => {
    const mixed = await aegisIn(['audit', 'verify', '--server', '--file', 'x.jsonl'], env());
    expect(mixed.code).toBe(EXIT.invalidInput);
    expect(mixed.stderr).toContain("Unknown option '--file'");
    const viewer = await aegisIn(['audit', 'verify', '--server', '--tenant', 'default'], env(await sink.viewerKey()));
    expect(viewer.code).toBe(EXIT.unavailable);
    expect(viewer.stderr).toMatch(/PermissionDenied: .*audit:verify/);
  });
});

test('audit tail (the binary) streams until Ctrl-C, then exits 0; it takes no --timeout', async () => {
  const noTimeout = await aegisIn(['audit', 'tail', '--tenant', tenantId, '--timeout', '5s'], env());
  expect(noTimeout.code).toBe(EXIT.invalidInput);

  const { AEGIS_API_KEY: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, [`${REPO_ROOT}tools/cli/bin/aegis.js`, 'audit', 'tail', '--tenant', tenantId, '--since', '7d', '--json'], {
    cwd: REPO_ROOT, env: { ...inherited, ...env() }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // The replay of every stored event of the tenant arrives, then the stream waits for more.
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.split('\n').length > 9) resolve();
    });
    child.on('close', () => reject(new Error(`tail exited early: ${stderr}`)));
  });
  child.kill('SIGINT');
  expect(await exited).toBe(EXIT.ok);
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(9);
  expect(lines.map((line) => eventFromJson(line)).filter((e) => e.payload.case === 'audit').map((e) => e.id)).toEqual(trail);
  expect(stderr).toBe('');
}, 60_000);
