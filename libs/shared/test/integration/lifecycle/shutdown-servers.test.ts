import { connect } from 'node:net';
import { runShutdown } from '../../../src/lifecycle/index.js';
import { createLogger } from '../../../src/logging/index.js';
import { http1 } from '../server/fixtures/http1.js';
import { startProbeServer } from '../server/fixtures/probe-server.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

test('several servers in one process drain together before the close steps run', async () => {
  let sleeping = () => {};
  const started = new Promise<void>((resolve) => (sleeping = resolve));
  const [auth, policy] = await Promise.all([
    startProbeServer({ behaviour: { onSleepStarted: () => sleeping() } }),
    startProbeServer(),
  ]);
  const slow = http1(`${auth.url}/aegis.test.v1.ProbeService/Sleep`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"duration":"0.3s"}',
  });
  await started;

  const seenByStep: number[] = [];
  const result = await runShutdown({
    logger: createLogger({ service: 'test', level: 'silent' }),
    graceMs: 5_000,
    servers: [auth.server, policy.server],
    steps: [{ name: 'close pools', run: async () => void seenByStep.push(auth.server.inFlight, policy.server.inFlight) }],
  });

  expect(result.failed).toEqual([]);
  expect((await slow).status).toBe(200);
  expect(seenByStep).toEqual([0, 0]);
  expect(await refused(auth.port)).toBe(true);
  expect(await refused(policy.port)).toBe(true);
  expect([auth.health.draining, policy.health.draining]).toEqual([true, true]);
});
