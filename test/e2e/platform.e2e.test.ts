// `npm start` on a bare machine: all six services in one process on embedded defaults
// (PGlite, in-memory counters, the embedded event log), restarted on the same data directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, startChild, type ChildService } from './support/child-process.js';

const SERVICES = ['auth', 'policy', 'ratelimit', 'pii', 'billing', 'audit'] as const;

let dataDir: string;

function startPlatform(): ChildService {
  const ports = Object.fromEntries(SERVICES.map((s) => [`AEGIS_${s.toUpperCase()}_PORT`, '0']));
  return startChild('scripts/start-platform.ts', { AEGIS_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...ports });
}

async function urlsOf(platform: ChildService): Promise<Record<string, string>> {
  await platform.waitFor(/Aegis is running\.[\s\S]*Stop: /, 120_000);
  const urls: Record<string, string> = {};
  for (const name of SERVICES) urls[name] = platform.stdout().match(new RegExp(`^\\s+${name}\\s+(http://\\S+)`, 'm'))![1]!;
  return urls;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aegis-platform-'));
});

afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('starts all six services on embedded backends, prints a bootstrap key once, and keeps state across a restart', async () => {
  const first = startPlatform();
  let key: string;
  try {
    const urls = await urlsOf(first);
    expect(first.stdout()).toContain('embedded PGlite');
    expect(first.stdout()).toContain('embedded event log');
    for (const name of SERVICES) {
      const health = await postJson(`${urls[name]}/grpc.health.v1.Health/Check`, {});
      expect({ name, ...health.json }).toEqual({ name, status: 'SERVING' });
    }
    key = first.stdout().match(/\b(genxai_live_[0-9A-Za-z]{38})\b/)![1]!;
    const verified = await postJson(`${urls.auth}/aegis.auth.v1.ApiKeyService/VerifyApiKey`, { key });
    expect(verified.json).toMatchObject({ valid: true, principal: { tenantId: 'default', roles: ['admin'] } });
    // Every non-public RPC of every service needs a credential, checked with auth at request time.
    const anonymous = await postJson(`${urls.policy}/aegis.policy.v1.DecisionService/Check`, { tenantId: 'default' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ code: 'unauthenticated' });
    expect(String(anonymous.json.message)).toContain('missing credential');
    // With the bootstrap key the call gets through to the policy service, which decides.
    const decided = await fetch(`${urls.policy}/aegis.policy.v1.DecisionService/Check`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
      body: JSON.stringify({ tenantId: 'default', principal: { tenantId: 'default', id: 'u1', roles: ['viewer'] }, action: 'agent:create', resource: { kind: 'agent', id: 'a1' } }),
    });
    // proto3 JSON leaves out `allowed: false`; the effect says it.
    expect(await decided.json()).toMatchObject({ decision: { effect: 'EFFECT_DENY' } });
    // Services that require permissions ask the in-process policy service: the bootstrap admin
    // may detect PII, and the answer comes from the pii service's detectors.
    const detected = await fetch(`${urls.pii}/aegis.pii.v1.PiiService/Detect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
      body: JSON.stringify({ tenantId: 'default', content: { text: 'write to jane.doe@example.com' } }),
    });
    expect(await detected.json()).toMatchObject({ hasPii: true, types: ['email'] });
    // The audit sink stores what the services put on the audit topic (auth's bootstrap among it).
    let stored: { events?: { source: string }[] } = {};
    for (let attempt = 0; attempt < 100 && (stored.events ?? []).length === 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      const queried = await fetch(`${urls.audit}/aegis.events.v1.AuditLogService/QueryAuditEvents`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
        body: JSON.stringify({ tenantId: 'default', filter: { source: 'auth' } }),
      });
      stored = await queried.json() as typeof stored;
    }
    expect(stored.events?.[0]).toMatchObject({ source: 'auth' });
  } finally {
    expect(await first.stop('SIGTERM')).toBe(0);
  }

  const second = startPlatform();
  try {
    const urls = await urlsOf(second);
    expect(second.stdout()).not.toMatch(/genxai_live_/);
    const verified = await postJson(`${urls.auth}/aegis.auth.v1.ApiKeyService/VerifyApiKey`, { key });
    expect(verified.json).toMatchObject({ valid: true });
  } finally {
    expect(await second.stop('SIGTERM')).toBe(0);
  }
}, 240_000);
