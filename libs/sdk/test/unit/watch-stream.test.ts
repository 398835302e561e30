// WatchStream on its own, over hand-fed message sequences: live only between `subscribed` and
// the stream's end or silence, events only while live, reconnection after loss, a long pause
// after a refusal, and close() ending everything.
import { Code, ConnectError } from '@connectrpc/connect';
import { WatchStream, WatchStreamSilentError } from '../../src/transport/watch-stream.js';

type Message = { kind: 'subscribed'; heartbeatMs: number } | { kind: 'heartbeat' } | { kind: 'event'; n: number };

/** A stream the test feeds; ends when `end()` is called or the signal aborts. */
function feed(signal: AbortSignal) {
  const queue: (Message | Error | 'end')[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Message | Error | 'end') => {
    queue.push(item);
    wake?.();
  };
  signal.addEventListener('abort', () => push(new Error('aborted')));
  async function* iterate(): AsyncGenerator<Message> {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const item = queue.shift()!;
      if (item === 'end') return;
      if (item instanceof Error) throw signal.aborted ? signal.reason : item;
      yield item;
    }
  }
  return { push, iterable: iterate() };
}

const until = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

function watch(opts: { refusedBackoffMs?: number } = {}) {
  const streams: ReturnType<typeof feed>[] = [];
  const log: string[] = [];
  const stream = new WatchStream<Message>({
    open: (signal) => {
      const f = feed(signal);
      streams.push(f);
      return f.iterable;
    },
    classify: (m) => (m.kind === 'subscribed' ? { kind: 'subscribed', heartbeatMs: m.heartbeatMs } : { kind: m.kind }),
    onEvent: (m) => log.push(`event ${(m as { n: number }).n}`),
    onLive: () => log.push('live'),
    onLost: (reason) => log.push(`lost ${reason instanceof WatchStreamSilentError ? 'silent' : reason instanceof ConnectError ? Code[reason.code] : 'ended'}`),
    initialBackoffMs: 1,
    maxBackoffMs: 2,
    random: () => 0.5,
    ...opts,
  });
  return { stream, streams, log };
}

describe('WatchStream', () => {
  test('live from subscribed to the end; events before subscribed are not delivered; reconnects after loss', async () => {
    const { stream, streams, log } = watch();
    stream.start();
    await until(() => streams.length === 1, 'the first stream');
    streams[0]!.push({ kind: 'event', n: 0 });
    streams[0]!.push({ kind: 'subscribed', heartbeatMs: 1000 });
    await until(() => stream.live, 'live');
    streams[0]!.push({ kind: 'event', n: 1 });
    streams[0]!.push({ kind: 'heartbeat' });
    streams[0]!.push('end');
    await until(() => streams.length === 2, 'a reconnection');
    expect(stream.live).toBe(false);
    streams[1]!.push({ kind: 'subscribed', heartbeatMs: 1000 });
    await until(() => stream.live, 'live again');
    await stream.close();
    expect(stream.live).toBe(false);
    expect(log).toEqual(['live', 'event 1', 'lost ended', 'live']);
  });

  test('a stream silent for three heartbeats is dead', async () => {
    const { stream, streams, log } = watch();
    stream.start();
    await until(() => streams.length === 1, 'the stream');
    streams[0]!.push({ kind: 'subscribed', heartbeatMs: 20 });
    await until(() => log.includes('lost silent'), 'the silence to be noticed');
    expect(stream.live).toBe(false);
    await stream.close();
  });

  test('after a refusal the next attempt waits refusedBackoffMs; close() wakes and ends it', async () => {
    const { stream, streams, log } = watch({ refusedBackoffMs: 60_000 });
    stream.start();
    await until(() => streams.length === 1, 'the stream');
    streams[0]!.push(new ConnectError('no credential:watch', Code.PermissionDenied));
    await until(() => log.length === 1, 'the refusal');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(streams).toHaveLength(1);
    await stream.close();
    expect(log).toEqual(['lost PermissionDenied']);
  });
});
