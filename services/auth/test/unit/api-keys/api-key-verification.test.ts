import { MemoryKeyValueStore } from '@aegis/shared';
import { ApiKeyVerifier } from '../../../src/api-keys/domain/api-key-verifier.js';
import { generateApiKey } from '../../../src/api-keys/domain/api-key-format.js';
import { ApiKeyVerification } from '../../../src/api-keys/verification/api-key-verification.js';
import { FailureThrottle, type ThrottleCrossing } from '../../../src/api-keys/verification/failure-throttle.js';
import { LastUsedRecorder } from '../../../src/api-keys/verification/last-used-recorder.js';
import { VerificationMetrics } from '../../../src/api-keys/verification/verification-metrics.js';
import { CountingStore, pepper, quietLogger, storedKey } from './fixtures.js';

function setUp(kv = new MemoryKeyValueStore()) {
  const store = new CountingStore();
  const uses: Array<Map<string, Date>> = [];
  const lastUsed = new LastUsedRecorder({ recordLastUsed: async (m) => void uses.push(new Map(m)) }, 60_000, quietLogger);
  const throttle = new FailureThrottle(kv, { maxFailures: 2, windowMs: 60_000, blockMs: 30_000 });
  const raised: Array<{ source: string; crossing: ThrottleCrossing; tenantId: string | undefined }> = [];
  const verification = new ApiKeyVerification(new ApiKeyVerifier(store, pepper), throttle, lastUsed, new VerificationMetrics(), quietLogger,
    (source, crossing, tenantId) => raised.push({ source, crossing, tenantId }));
  return { store, verification, lastUsed, uses, raised };
}

const unknownKey = () => generateApiKey('genxai', 'live');

describe('ApiKeyVerification', () => {
  test('a valid key is answered and its use recorded in memory, not written', async () => {
    const { store, verification, lastUsed, uses } = setUp();
    const { secret, key } = storedKey();
    store.add(key);
    expect(await verification.verify({ key: secret, source: '10.0.0.1' })).toMatchObject({ valid: true, key: { id: key.id } });
    expect(lastUsed.pendingCount).toBe(1);
    expect(uses).toHaveLength(0);
    await lastUsed.flush();
    expect([...uses[0]!.keys()]).toEqual([key.id]);
  });

  test('past the threshold a source is THROTTLED and nothing is checked, not even a valid key', async () => {
    const { store, verification } = setUp();
    const { secret, key } = storedKey();
    store.add(key);
    for (let i = 0; i < 3; i++) expect(await verification.verify({ key: unknownKey(), source: 'bot' })).toMatchObject({ valid: false, reason: 'not_found' });
    const reads = store.reads;
    const answer = await verification.verify({ key: secret, source: 'bot' });
    expect(answer).toMatchObject({ valid: false, reason: 'throttled' });
    expect(answer.valid === false && answer.reason === 'throttled' ? answer.retryAfterMs : 0).toBeGreaterThan(29_000);
    expect(store.reads).toBe(reads);
    // Another source is unaffected.
    expect(await verification.verify({ key: secret, source: 'human' })).toMatchObject({ valid: true });
  });

  test('the throttling is raised once per block, not per attempt', async () => {
    const { verification, raised } = setUp();
    for (let i = 0; i < 10; i++) await verification.verify({ key: 'garbage', source: 'bot', tenantId: 'acme' });
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ source: 'bot', tenantId: 'acme', crossing: { failures: 3, firstToBlock: true } });
  });

  test('two instances sharing the counters raise it once between them', async () => {
    const kv = new MemoryKeyValueStore();
    const a = setUp(kv);
    const b = setUp(kv);
    for (let i = 0; i < 5; i++) {
      await a.verification.verify({ key: 'garbage', source: 'bot' });
      await b.verification.verify({ key: 'garbage', source: 'bot' });
    }
    expect(a.raised.length + b.raised.length).toBe(1);
  });

  test('without a source nothing is counted', async () => {
    const { verification, raised } = setUp();
    for (let i = 0; i < 10; i++) expect(await verification.verify({ key: 'garbage', source: undefined })).toMatchObject({ reason: 'malformed' });
    expect(raised).toHaveLength(0);
  });

  test('when the counter store is down, verdicts are still given', async () => {
    const kv = new MemoryKeyValueStore();
    kv.increment = () => Promise.reject(new Error('redis down'));
    const { verification } = setUp(kv);
    expect(await verification.verify({ key: 'garbage', source: 'bot' })).toMatchObject({ valid: false, reason: 'malformed' });
  });
});
