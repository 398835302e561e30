import { installShutdown, runShutdown, type Drainable } from '../../../src/lifecycle/index.js';
import { createLogger } from '../../../src/logging/index.js';

function capture() {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'test', destination: { write: (l: string) => void logs.push(JSON.parse(l)) } });
  return { logger, logs };
}

describe('runShutdown', () => {
  test('drains every server first, then runs the steps in order', async () => {
    const { logger } = capture();
    const order: string[] = [];
    const server = (name: string): Drainable => ({
      shutdown: async (graceMs) => {
        order.push(`${name} drain ${graceMs}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
        order.push(`${name} drained`);
      },
    });
    const result = await runShutdown({
      logger,
      graceMs: 1_000,
      servers: [server('auth'), server('policy')],
      steps: [
        { name: 'kafka producer', run: async () => void order.push('kafka') },
        { name: 'postgres pool', run: async () => void order.push('postgres') },
      ],
    });
    expect(result.failed).toEqual([]);
    // Both servers drain at once (five in one process must not take five grace periods).
    expect(order.slice(0, 2)).toEqual(['auth drain 1000', 'policy drain 1000']);
    expect(order.slice(4)).toEqual(['kafka', 'postgres']);
  });

  test('a failing or hanging step is reported and the later steps still run', async () => {
    const { logger, logs } = capture();
    const ran: string[] = [];
    const result = await runShutdown({
      logger,
      graceMs: 100,
      steps: [
        { name: 'flush', run: () => Promise.reject(new Error('broker gone')) },
        { name: 'hang', run: () => new Promise<void>(() => {}), timeoutMs: 30 },
        { name: 'close pool', run: async () => void ran.push('close pool') },
      ],
    });
    expect(result.failed).toEqual(['flush', 'hang']);
    expect(ran).toEqual(['close pool']);
    const failures = logs.filter((l) => l['msg'] === 'shutdown: step failed').map((l) => l['step']);
    expect(failures).toEqual(['flush', 'hang']);
  });
});

describe('installShutdown', () => {
  test('the first signal shuts down and exits 0; a second one exits 1 at once', async () => {
    const { logger } = capture();
    const exits: number[] = [];
    let release = () => {};
    const shutdown = installShutdown({
      logger,
      graceMs: 100,
      signals: ['SIGUSR2'],
      exit: (code) => void exits.push(code),
      steps: [{ name: 'slow', run: () => new Promise<void>((resolve) => (release = resolve)) }],
    });
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      await new Promise((resolve) => setImmediate(resolve));
      expect(exits).toEqual([]);
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(exits).toEqual([1]);
      release();
      for (let tick = 0; tick < 100 && exits.length < 2; tick++) await new Promise((resolve) => setImmediate(resolve));
      // The operator's second signal already ended the process; the first run's exit comes after.
      expect(exits).toEqual([1, 0]);
    } finally {
      shutdown.uninstall();
    }
  });

  test('exits 1 when a step failed', async () => {
    const { logger } = capture();
    const exits: number[] = [];
    const shutdown = installShutdown({
      logger,
      graceMs: 100,
      signals: [],
      exit: (code) => void exits.push(code),
      steps: [{ name: 'broken', run: () => Promise.reject(new Error('no')) }],
    });
    await shutdown.trigger('test');
    expect(exits).toEqual([1]);
  });
});
