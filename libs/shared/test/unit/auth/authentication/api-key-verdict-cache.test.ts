import { create } from '@bufbuild/protobuf';
import { PrincipalSchema, PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { ApiKeyVerdictCache, type ApiKeyVerdict } from '../../../../src/auth/index.js';

function valid(keyId: string, userId = 'alice', tenantId = 'acme', expiresAt?: number): ApiKeyVerdict {
  return {
    valid: true,
    keyId,
    principal: create(PrincipalSchema, { tenantId, userId, type: PrincipalType.API_KEY, id: keyId, apiKeyId: keyId }),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

/** A verifier that counts its calls and answers what the test says. */
function counting(answer: () => ApiKeyVerdict) {
  const calls = { n: 0 };
  return { calls, verify: async () => { calls.n++; return answer(); } };
}

describe('ApiKeyVerdictCache', () => {
  let now: number;
  beforeEach(() => { now = 1_000_000; });
  const clock = () => now;

  test('answers from memory within the TTL and asks again after it', async () => {
    const cache = new ApiKeyVerdictCache({ ttlMs: 500, now: clock });
    const { calls, verify } = counting(() => valid('k1'));
    await cache.get('key-1', verify);
    await cache.get('key-1', verify);
    expect(calls.n).toBe(1);
    now += 499;
    await cache.get('key-1', verify);
    expect(calls.n).toBe(1);
    now += 1;
    await cache.get('key-1', verify);
    expect(calls.n).toBe(2);
  });

  test('never keeps a verdict longer than one second, whatever it is told', async () => {
    const cache = new ApiKeyVerdictCache({ ttlMs: 60_000, now: clock });
    const { calls, verify } = counting(() => valid('k1'));
    await cache.get('key-1', verify);
    now += 1_000;
    await cache.get('key-1', verify);
    expect(calls.n).toBe(2);
  });

  test('a key that expires sooner than the TTL is not answered from memory past its expiry', async () => {
    const cache = new ApiKeyVerdictCache({ ttlMs: 1_000, now: clock });
    const { calls, verify } = counting(() => valid('k1', 'alice', 'acme', now + 100));
    await cache.get('key-1', verify);
    now += 100;
    await cache.get('key-1', verify);
    expect(calls.n).toBe(2);
  });

  test('dropKey forgets verdicts of that key id, valid or not', async () => {
    const cache = new ApiKeyVerdictCache({ now: clock });
    const first = counting(() => valid('k1'));
    const other = counting(() => valid('k2'));
    const disabled = counting((): ApiKeyVerdict => ({ valid: false, refusal: 'disabled', keyId: 'k3' }));
    await cache.get('key-1', first.verify);
    await cache.get('key-2', other.verify);
    await cache.get('key-3', disabled.verify);
    cache.dropKey('k1');
    cache.dropKey('k3');
    await cache.get('key-1', first.verify);
    await cache.get('key-2', other.verify);
    await cache.get('key-3', disabled.verify);
    expect([first.calls.n, other.calls.n, disabled.calls.n]).toEqual([2, 1, 2]);
  });

  test('dropUser forgets every key of that user in that tenant only', async () => {
    const cache = new ApiKeyVerdictCache({ now: clock });
    const a1 = counting(() => valid('k1', 'alice'));
    const a2 = counting(() => valid('k2', 'alice'));
    const bob = counting(() => valid('k3', 'bob'));
    const otherTenant = counting(() => valid('k4', 'alice', 'globex'));
    for (const [key, c] of [['a1', a1], ['a2', a2], ['b', bob], ['g', otherTenant]] as const) await cache.get(key, c.verify);
    cache.dropUser('acme', 'alice');
    for (const [key, c] of [['a1', a1], ['a2', a2], ['b', bob], ['g', otherTenant]] as const) await cache.get(key, c.verify);
    expect([a1.calls.n, a2.calls.n, bob.calls.n, otherTenant.calls.n]).toEqual([2, 2, 1, 1]);
  });

  test('clear (after a pub/sub reconnect) forgets everything', async () => {
    const cache = new ApiKeyVerdictCache({ now: clock });
    const { calls, verify } = counting(() => valid('k1'));
    await cache.get('key-1', verify);
    cache.clear();
    expect(cache.size).toBe(0);
    await cache.get('key-1', verify);
    expect(calls.n).toBe(2);
  });

  test('overlapping verifications of one key share a single call', async () => {
    const cache = new ApiKeyVerdictCache({ now: clock });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let calls = 0;
    const verify = async () => { calls++; await gate; return valid('k1'); };
    const all = Promise.all([cache.get('key-1', verify), cache.get('key-1', verify), cache.get('key-1', verify)]);
    release();
    const verdicts = await all;
    expect(calls).toBe(1);
    expect(verdicts.every((v) => v.valid)).toBe(true);
  });

  test('a verdict fetched while an invalidation arrived is used once but not remembered', async () => {
    const cache = new ApiKeyVerdictCache({ now: clock });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let calls = 0;
    const verify = async () => { calls++; if (calls === 1) await gate; return valid('k1'); };
    const pending = cache.get('key-1', verify);
    cache.dropKey('k1');
    // A caller arriving after the invalidation must not join the call that predates it.
    const after = cache.get('key-1', verify);
    release();
    await Promise.all([pending, after]);
    expect(calls).toBe(2);
    await cache.get('key-1', verify);
    expect(calls).toBe(2);
  });

  test('throttled answers concern a source, not the key: never cached', async () => {
    const cache = new ApiKeyVerdictCache({ now: clock });
    const { calls, verify } = counting((): ApiKeyVerdict => ({ valid: false, refusal: 'throttled', retryAfterMs: 1_000 }));
    await cache.get('key-1', verify);
    await cache.get('key-1', verify);
    expect(calls.n).toBe(2);
  });

  test('stays within its bound, dropping the oldest entries', async () => {
    const cache = new ApiKeyVerdictCache({ maxEntries: 3, now: clock });
    const counters = ['a', 'b', 'c', 'd'].map((key) => ({ key, ...counting(() => valid(`id-${key}`)) }));
    for (const c of counters) await cache.get(c.key, c.verify);
    expect(cache.size).toBe(3);
    for (const c of counters) await cache.get(c.key, c.verify);
    expect(counters[0]!.calls.n).toBe(2);
  });

  test('ttl 0 caches nothing', async () => {
    const cache = new ApiKeyVerdictCache({ ttlMs: 0, now: clock });
    const { calls, verify } = counting(() => valid('k1'));
    await cache.get('key-1', verify);
    await cache.get('key-1', verify);
    expect(calls.n).toBe(2);
  });

  test('a failed verification is not cached and reaches the caller', async () => {
    const cache = new ApiKeyVerdictCache({ now: clock });
    let fail = true;
    const verify = async () => { if (fail) throw new Error('auth down'); return valid('k1'); };
    await expect(cache.get('key-1', verify)).rejects.toThrow('auth down');
    fail = false;
    await expect(cache.get('key-1', verify)).resolves.toMatchObject({ valid: true });
  });
});
