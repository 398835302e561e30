import { Code, ConnectError } from '@connectrpc/connect';

/**
 * Server-streaming and bidi handlers run while the adapter iterates their output, long
 * after `next(req)` has returned; an interceptor that wants the outcome of such a call
 * (a duration, a status code, a span end) has to wrap the output stream instead.
 *
 * `onEnd` is called exactly once: with `undefined` when the stream completed, with the
 * error when it failed, and with `STREAM_CANCELLED` (or a telling abort reason, see
 * `abortOutcome`) when the call was aborted first. The signal matters: when a client cancels, connect-node stops
 * pulling from the stream without returning it, so no `finally` would ever run.
 * `step` wraps every pull, so a caller can run the handler's code inside its own async
 * context (the tracing interceptor does).
 */
export interface StreamObserver {
  onEnd(err: unknown): void;
  signal?: AbortSignal;
  step?<T>(pull: () => Promise<T>): Promise<T>;
}

export const STREAM_CANCELLED = Symbol('stream cancelled');

// Keeps reasons that say what the caller saw (deadline_exceeded, or unavailable from a
// server shutdown). connect-node reports a peer's RST_STREAM INTERNAL_ERROR, which is how
// its own client cancels, as `internal`, and a plain close as an AbortError: both are the
// client going away, not a server fault.
function abortOutcome(reason: unknown): unknown {
  return reason instanceof ConnectError && reason.code !== Code.Internal ? reason : STREAM_CANCELLED;
}

export async function* observeStream<T>(source: AsyncIterable<T>, observer: StreamObserver): AsyncIterable<T> {
  const { signal } = observer;
  let ended = false;
  const end = (err: unknown) => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener('abort', onAbort);
    observer.onEnd(err);
  };
  const onAbort = () => end(abortOutcome(signal?.reason));
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  const iterator = source[Symbol.asyncIterator]();
  const pull = () => iterator.next();
  let completed = false;
  try {
    for (;;) {
      const result = observer.step ? await observer.step(pull) : await pull();
      if (result.done === true) break;
      yield result.value;
    }
    completed = true;
    end(undefined);
  } catch (err) {
    completed = true;
    end(err);
    throw err;
  } finally {
    if (!completed) {
      // The consumer returned early: let the source clean up (its finally blocks run).
      end(STREAM_CANCELLED);
      await iterator.return?.();
    }
  }
}
