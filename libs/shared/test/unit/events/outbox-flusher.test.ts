import { createLogger, OutboxFlusher } from '../../../src/index.js';

const logger = createLogger({ service: 'outbox-flusher-test', level: 'silent' });

/** An outbox of `pending` rows; publishSome takes up to `limit`, or throws while `down`. */
function outbox(pending: number) {
  const state = { pending, calls: 0, down: false, gate: undefined as Promise<void> | undefined };
  const publishSome = async (limit: number) => {
    state.calls++;
    if (state.down) throw new Error('dlq topic unreachable');
    // Takes its rows first, then waits: rows parked during the wait are not in this round.
    const sent = Math.min(limit, state.pending);
    state.pending -= sent;
    if (state.gate !== undefined) await state.gate;
    return sent;
  };
  return { state, publishSome };
}

test('drains in rounds until a round publishes less than a batch', async () => {
  const { state, publishSome } = outbox(1_250);
  const flusher = new OutboxFlusher({ publishSome, batchSize: 500, logger, failureMessage: 'x' });
  expect(await flusher.flush()).toBe(1_250);
  expect(state).toMatchObject({ pending: 0, calls: 3 });
});

test('concurrent flushes share one run, and a kick during it makes it go round again', async () => {
  const { state, publishSome } = outbox(10);
  let open!: () => void;
  state.gate = new Promise((r) => { open = r; });
  const flusher = new OutboxFlusher({ publishSome, batchSize: 500, logger, failureMessage: 'x' });
  const first = flusher.flush();
  const second = flusher.flush();
  expect(second).toBe(first);
  state.pending += 5; // parked while the first round waits: the kick must not be lost
  flusher.kick();
  state.gate = undefined;
  open();
  expect(await first).toBe(15); // 10 in the first round, the 5 parked during it in the second
  await flusher.idle();
  expect(state).toMatchObject({ pending: 0, calls: 2 });
});

test('a failing topic never rejects and is retried by the next kick', async () => {
  const { state, publishSome } = outbox(3);
  const warnings: unknown[] = [];
  const flusher = new OutboxFlusher({ publishSome, logger: { warn: (...args: unknown[]) => warnings.push(args) } as never, failureMessage: 'parked rows stay' });
  state.down = true;
  expect(await flusher.flush()).toBe(0);
  expect(state.calls).toBe(1); // no hot loop while it is down
  expect(warnings).toHaveLength(1);
  state.down = false;
  expect(await flusher.flush()).toBe(3);
});

test('start flushes what an earlier run left; stop ends the retry tick', async () => {
  const { state, publishSome } = outbox(2);
  const flusher = new OutboxFlusher({ publishSome, retryMs: 10, logger, failureMessage: 'x' });
  flusher.start();
  await flusher.idle();
  expect(state.pending).toBe(0);
  await flusher.stop();
  const calls = state.calls;
  state.pending = 1;
  await new Promise((r) => setTimeout(r, 50));
  expect(state.calls).toBe(calls);
});
