import { STREAM_CANCELLED, observeStream } from '../../../src/server/index.js';

async function* numbers(to: number, cleanup: string[] = [], fail?: Error) {
  try {
    for (let n = 1; n <= to; n++) yield n;
    if (fail) throw fail;
  } finally {
    cleanup.push('source finally');
  }
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('observeStream', () => {
  test('reports completion once, after the last message', async () => {
    const ends: unknown[] = [];
    expect(await drain(observeStream(numbers(3), { onEnd: (err) => ends.push(err) }))).toEqual([1, 2, 3]);
    expect(ends).toEqual([undefined]);
  });

  test('reports and rethrows the error a stream fails with', async () => {
    const ends: unknown[] = [];
    const boom = new Error('boom');
    await expect(drain(observeStream(numbers(2, [], boom), { onEnd: (err) => ends.push(err) }))).rejects.toBe(boom);
    expect(ends).toEqual([boom]);
  });

  test('a consumer that stops early is a cancel, and the source still cleans up', async () => {
    const ends: unknown[] = [];
    const cleanup: string[] = [];
    for await (const n of observeStream(numbers(10, cleanup), { onEnd: (err) => ends.push(err) })) if (n === 2) break;
    expect(ends).toEqual([STREAM_CANCELLED]);
    expect(cleanup).toEqual(['source finally']);
  });

  test('an aborted call ends the observation even if nobody pulls again', async () => {
    const ends: unknown[] = [];
    const abort = new AbortController();
    const iterator = observeStream(numbers(10), { onEnd: (err) => ends.push(err), signal: abort.signal })[Symbol.asyncIterator]();
    await iterator.next();
    abort.abort();
    expect(ends).toEqual([STREAM_CANCELLED]);
    await iterator.return?.();
    expect(ends).toHaveLength(1);
  });

  test('every pull goes through step', async () => {
    let steps = 0;
    const observed = observeStream(numbers(2), {
      onEnd: () => {},
      step: (pull) => {
        steps++;
        return pull();
      },
    });
    await drain(observed);
    expect(steps).toBe(3); // two messages and the end
  });
});
