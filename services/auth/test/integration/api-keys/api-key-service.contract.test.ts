// The bootstrap slice of the API-key module, end to end over a real Connect client, on both
// backend sets: whatever holds on PGlite and the embedded log must hold on Postgres and Kafka.
// The key lifecycle (create, rotate, revoke, ...) is in api-key-lifecycle.contract.test.ts.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { ApiKeyInvalidReason } from '@aegis/proto/aegis/auth/v1/api_key_pb.js';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { RateLimitTier } from '@aegis/proto/aegis/common/v1/tier_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { decodeEvent, TOPICS, type ConsumedEvent } from '@aegis/shared';
import { uniqueKafkaName } from '@aegis/shared/testing';
import { apiKeyDigest } from '../../../src/api-keys/domain/api-key-digest.js';
import { BASE62_ALPHABET } from '../../../src/api-keys/domain/base62.js';
import { embeddedBackend, externalBackend, startAuth, tempDataDir, type RunningAuth } from '../auth-harness.js';

// `genxai_live_` + 32 random characters + 6 checksum characters.
const randomPartOf = (key: string): string => key.slice(key.lastIndexOf('_') + 1, -6);

async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe.each([embeddedBackend(), externalBackend()])('ApiKeyService on $name', (backend) => {
  let dataDir: Awaited<ReturnType<typeof tempDataDir>>;
  let auth: RunningAuth;
  let key: string;

  beforeAll(async () => {
    await backend.setUp();
    dataDir = await tempDataDir();
    auth = await startAuth(backend.env(dataDir.path));
    if (auth.bannerKey === undefined) throw new Error(`the first start on a fresh database printed no key: ${JSON.stringify(auth.service.banner)}`);
    key = auth.bannerKey;
  });
  afterAll(async () => {
    await auth?.stop();
    await dataDir?.remove();
    await backend.tearDown();
  });

  test('the bootstrap key verifies as the enterprise admin of tenant "default"', async () => {
    expect(key).toMatch(/^genxai_live_[0-9A-Za-z]{38}$/);
    expect(auth.service.banner.join('\n')).toContain('tenant "default"');

    const res = await auth.client.verifyApiKey({ key });
    expect(res.valid).toBe(true);
    expect(res.reason).toBe(ApiKeyInvalidReason.UNSPECIFIED);
    expect(res.keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.expireTime).toBeUndefined();
    expect(res.principal).toMatchObject({
      tenantId: 'default',
      type: PrincipalType.API_KEY,
      id: res.keyId,
      userId: 'admin',
      apiKeyId: res.keyId,
      roles: ['admin'],
      tier: RateLimitTier.ENTERPRISE,
    });

    const sameTenant = await auth.client.verifyApiKey({ key, tenantId: 'default' });
    expect(sameTenant.valid).toBe(true);
  });

  test('another tenant is told NOT_FOUND, with nothing about the key', async () => {
    const res = await auth.client.verifyApiKey({ key, tenantId: 'globex' });
    expect(res.valid).toBe(false);
    expect(res.reason).toBe(ApiKeyInvalidReason.NOT_FOUND);
    expect(res.principal).toBeUndefined();
    expect(res.keyId).toBe('');
  });

  test('a look-alike differing in one character fails the checksum', async () => {
    const i = key.length - 10;
    const lookAlike = key.slice(0, i) + BASE62_ALPHABET[(BASE62_ALPHABET.indexOf(key[i]!) + 1) % 62] + key.slice(i + 1);
    const res = await auth.client.verifyApiKey({ key: lookAlike });
    expect(res.valid).toBe(false);
    expect(res.reason).toBe(ApiKeyInvalidReason.BAD_CHECKSUM);
  });

  test('garbage is MALFORMED', async () => {
    for (const garbage of ['garbage', 'Bearer x', key.replace('_live_', '-live-'), `${key}0`]) {
      const res = await auth.client.verifyApiKey({ key: garbage });
      expect([garbage, res.valid, res.reason]).toEqual([garbage, false, ApiKeyInvalidReason.MALFORMED]);
    }
  });

  test('an empty key is InvalidArgument naming the field', async () => {
    const err = await rejectionOf(auth.client.verifyApiKey({ key: '' }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^key: /);
  });

  test('a 10 KB key is InvalidArgument, and the message does not echo it', async () => {
    const huge = `genxai_live_${'A'.repeat(10 * 1024)}`;
    const err = await rejectionOf(auth.client.verifyApiKey({ key: huge }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^key: /);
    expect(err.rawMessage).not.toContain('AAAA');
  });

  test('a malformed tenant_id is InvalidArgument naming the field', async () => {
    const err = await rejectionOf(auth.client.verifyApiKey({ key, tenantId: 'Not A Tenant' }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^tenant_id: /);
  });

  test('the api_key.created audit event is on aegis.audit.v1, without the secret', async () => {
    const { keyId } = await auth.client.verifyApiKey({ key });
    const found = await firstAuditEventFor(auth, keyId);
    const { event, consumed } = found;

    expect(consumed.key).toBe('default');
    expect(event.source).toBe('auth');
    expect(event.tenantId).toBe('default');
    expect(event.action).toBe('api_key.created');
    expect(event.actor?.type).toBe(PrincipalType.SERVICE);
    expect(event.payload.case).toBe('audit');
    if (event.payload.case !== 'audit') return;
    expect(event.payload.value.resource).toMatchObject({ kind: 'api_key', id: keyId });

    const bytes = Buffer.from(consumed.value);
    const headers = JSON.stringify(consumed.headers);
    for (const secret of [key, randomPartOf(key), randomPartOf(key).slice(0, 16), randomPartOf(key).slice(16)]) {
      expect(bytes.includes(secret)).toBe(false);
      expect(headers).not.toContain(secret);
    }
  });

  test('the secret is in no log line', () => {
    expect(auth.logLines.length).toBeGreaterThan(0);
    expect(auth.logLines.join('\n')).toContain('bootstrap admin key created');
    expect(auth.logLines.filter((line) => line.includes(randomPartOf(key)))).toEqual([]);
  });

  test('the database holds the peppered digest of the key, and the key nowhere', async () => {
    const db = await auth.openDatabase();
    const { rows } = await db.query<{ digest: Uint8Array; hint: string }>('SELECT digest, hint FROM api_keys');
    expect(rows).toHaveLength(1);
    const pepper = Buffer.from((await readFile(join(auth.service.config.serviceDataDir, 'api-key-pepper'), 'utf8')).trim(), 'base64');
    expect(pepper).toHaveLength(32);
    const digest = Buffer.from(rows[0]!.digest);
    expect(digest.equals(apiKeyDigest(pepper, key))).toBe(true);
    expect(digest.equals(Buffer.from(key))).toBe(false);
    expect(rows[0]!.hint).toBe(`genxai_live_…${key.slice(-4)}`);

    // Every column of every row, as text (bytea as hex): no trace of the secret.
    const asText = await db.query<{ row: string }>('SELECT to_jsonb(k)::text AS row FROM api_keys k');
    const table = asText.rows.map((r) => r.row).join('\n');
    expect(table).toContain('bootstrap admin');
    for (const secret of [key, randomPartOf(key), randomPartOf(key).slice(0, 12), Buffer.from(key).toString('hex')]) {
      expect(table).not.toContain(secret);
    }
  });

  // Last: it replaces the running instance.
  test('a restart on the same database creates no second key, shows no banner, and the old key still verifies', async () => {
    const env = backend.env(dataDir.path);
    await auth.stop();
    auth = await startAuth(env);

    expect(auth.service.banner).toEqual([]);
    expect(auth.bannerKey).toBeUndefined();
    expect(auth.logLines.join('\n')).not.toContain('bootstrap admin key created');
    const res = await auth.client.verifyApiKey({ key });
    expect(res.valid).toBe(true);
    expect(res.principal?.userId).toBe('admin');

    const db = await auth.openDatabase();
    const { rows } = await db.query<{ keys: string; tenants: string; users: string }>(
      'SELECT (SELECT count(*) FROM api_keys) AS keys, (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM users) AS users',
    );
    expect(rows[0]).toEqual({ keys: '1', tenants: '1', users: '1' });
  });
});

/** Reads aegis.audit.v1 from the beginning with a group of its own until the key's creation shows up. */
async function firstAuditEventFor(auth: RunningAuth, keyId: string, timeoutMs = 20_000): Promise<{ event: Event; consumed: ConsumedEvent }> {
  let resolveFound: (found: { event: Event; consumed: ConsumedEvent }) => void = () => {};
  const found = new Promise<{ event: Event; consumed: ConsumedEvent }>((resolve) => (resolveFound = resolve));
  const handle = await auth.running.events.subscribe({
    groupId: uniqueKafkaName('auth-audit-test'),
    topics: [TOPICS.audit],
    fromBeginning: true,
    async handleBatch(events) {
      for (const consumed of events) {
        // On a shared Kafka topic other runs' events pass by too; only ours must decode.
        let event: Event;
        try {
          event = decodeEvent(consumed.value);
        } catch {
          continue;
        }
        if (event.payload.case === 'audit' && event.payload.value.resource?.id === keyId) resolveFound({ event, consumed });
      }
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      found,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no api_key.created event for key ${keyId} on ${TOPICS.audit} within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await handle.stop();
  }
}
