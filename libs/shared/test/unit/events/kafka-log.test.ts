import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { kafkaLogLevelFor, pinoLogCreator } from '../../../src/events/kafka/kafka-log.js';

function capture(level: string): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'Consumer',
  level,
  label: 'X',
  log: { timestamp: '2024-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra },
});

describe('kafkajs logs through pino', () => {
  test('keeps kafkajs levels and fields, and drops payload fields that could hold event values', async () => {
    const { logger, lines } = capture('debug');
    const log = pinoLogCreator(logger)(logLevel.DEBUG);
    log(entry(logLevel.ERROR, 'Crash', { groupId: 'g', retryCount: 3 }));
    log(entry(logLevel.WARN, 'rebalancing'));
    log(entry(logLevel.INFO, 'Consumer has joined the group'));
    log(entry(logLevel.DEBUG, 'Response Fetch', { data: { value: 'secret-event' }, payload: 'raw', correlationId: 7 }));
    await new Promise((r) => setImmediate(r));

    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([
      [50, 'kafkajs: Crash'],
      [40, 'kafkajs: rebalancing'],
      [30, 'kafkajs: Consumer has joined the group'],
      [20, 'kafkajs: Response Fetch'],
    ]);
    expect(lines[0]).toMatchObject({ kafkajs: 'Consumer', groupId: 'g', retryCount: 3 });
    expect(lines[3]).toMatchObject({ correlationId: 7 });
    expect(JSON.stringify(lines)).not.toContain('secret-event');
    expect(lines[3]).not.toHaveProperty('payload');
  });

  test('the expected warning about bounded idempotent retries is demoted to debug', async () => {
    const { logger, lines } = capture('info');
    pinoLogCreator(logger)(logLevel.INFO)(entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([]);
  });

  test('asks kafkajs for no more detail than the logger keeps', () => {
    expect(kafkaLogLevelFor(pino({ level: 'debug' }))).toBe(logLevel.DEBUG);
    expect(kafkaLogLevelFor(pino({ level: 'info' }))).toBe(logLevel.INFO);
    expect(kafkaLogLevelFor(pino({ level: 'warn' }))).toBe(logLevel.WARN);
    expect(kafkaLogLevelFor(pino({ level: 'error' }))).toBe(logLevel.ERROR);
    expect(kafkaLogLevelFor(pino({ level: 'silent' }))).toBe(logLevel.NOTHING);
  });
});
