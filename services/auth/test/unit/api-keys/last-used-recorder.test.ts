import { LastUsedRecorder } from '../../../src/api-keys/verification/last-used-recorder.js';
import { quietLogger } from './fixtures.js';

class RecordingStore {
  batches: Array<Map<string, Date>> = [];
  failNext = false;

  async recordLastUsed(uses: ReadonlyMap<string, Date>): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database down');
    }
    this.batches.push(new Map(uses));
  }
}

describe('LastUsedRecorder', () => {
  test('records in memory only; a flush writes one batch with the latest time per key', async () => {
    let now = new Date('2025-06-01T00:00:00Z');
    const store = new RecordingStore();
    const recorder = new LastUsedRecorder(store, 60_000, quietLogger, () => now);
    recorder.record('k1');
    recorder.record('k2');
    now = new Date('2025-06-01T00:00:05Z');
    recorder.record('k1');
    expect(store.batches).toHaveLength(0);
    await recorder.flush();
    expect(store.batches).toEqual([new Map([['k1', new Date('2025-06-01T00:00:05Z')], ['k2', new Date('2025-06-01T00:00:00Z')]])]);
    await recorder.flush();
    expect(store.batches).toHaveLength(1); // nothing new: no empty write
  });

  test('a failed batch is kept and written with the next one, without overwriting newer uses', async () => {
    let now = new Date('2025-06-01T00:00:00Z');
    const store = new RecordingStore();
    const recorder = new LastUsedRecorder(store, 60_000, quietLogger, () => now);
    recorder.record('k1');
    recorder.record('k2');
    store.failNext = true;
    await recorder.flush();
    expect(recorder.pendingCount).toBe(2);
    now = new Date('2025-06-01T00:01:00Z');
    recorder.record('k2');
    await recorder.flush();
    expect(store.batches).toEqual([new Map([['k2', new Date('2025-06-01T00:01:00Z')], ['k1', new Date('2025-06-01T00:00:00Z')]])]);
  });

  test('the interval flushes by itself, and close() writes what is left', async () => {
    const store = new RecordingStore();
    const recorder = new LastUsedRecorder(store, 20, quietLogger);
    recorder.start();
    recorder.record('k1');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.batches.length).toBeGreaterThanOrEqual(1);
    recorder.record('k9');
    await recorder.close();
    expect(store.batches.at(-1)?.has('k9')).toBe(true);
  });
});
