import { z } from 'zod';
import { env } from '../../../src/config/index.js';

const parse = <T>(schema: z.ZodType<T>, value: string | undefined) => schema.safeParse(value);

describe('env builders', () => {
  test('port: integer 0-65535, default when unset', () => {
    expect(parse(env.port(3000), undefined).data).toBe(3000);
    expect(parse(env.port(3000), ' 8080 ').data).toBe(8080);
    expect(parse(env.port(3000), '65535').data).toBe(65535);
    for (const bad of ['65536', '-1', '80.5', 'http', '0x50']) expect(parse(env.port(3000), bad).success).toBe(false);
  });

  test('a bad value yields exactly one issue', () => {
    expect(parse(env.port(1), 'abc').error?.issues).toHaveLength(1);
  });

  test('url: scheme list, multi-host URLs accepted, host required', () => {
    const pg = env.url({ protocols: ['postgres', 'postgresql:'] });
    expect(parse(pg, 'postgresql://u:pw@h1:5432,h2:5432/db').success).toBe(true);
    expect(parse(pg, 'POSTGRES://h/db').success).toBe(true);
    expect(parse(pg, 'mysql://h/db').success).toBe(false);
    expect(parse(pg, 'postgres://').success).toBe(false);
    expect(parse(pg, 'postgres://u:pw@/db').success).toBe(false);
    expect(parse(env.url(), 'no scheme here').success).toBe(false);
  });

  test('commaList: trims, drops empty entries, rejects an empty list', () => {
    expect(parse(env.commaList(), ' a, b ,,c ').data).toEqual(['a', 'b', 'c']);
    expect(parse(env.commaList(), ' , ').success).toBe(false);
  });

  test('hostPortList: every entry must be host:port', () => {
    expect(parse(env.hostPortList(), 'kafka-0:9092, 10.0.0.7:9093,[::1]:9094').data).toEqual(['kafka-0:9092', '10.0.0.7:9093', '[::1]:9094']);
    expect(parse(env.hostPortList(), 'kafka-0:9092,kafka-1').success).toBe(false);
  });

  test('durationMs: bare milliseconds or a unit', () => {
    const duration = env.durationMs(10_000);
    expect(parse(duration, undefined).data).toBe(10_000);
    expect(parse(duration, '2500').data).toBe(2_500);
    expect(parse(duration, '500ms').data).toBe(500);
    expect(parse(duration, '30s').data).toBe(30_000);
    expect(parse(duration, '2m').data).toBe(120_000);
    expect(parse(duration, '1h').data).toBe(3_600_000);
    for (const bad of ['1.5s', '-1', 'soon', '10d']) expect(parse(duration, bad).success).toBe(false);
  });

  test('bool: common spellings, default when unset', () => {
    expect(parse(env.bool(true), undefined).data).toBe(true);
    for (const yes of ['true', 'TRUE', '1', 'yes', 'on']) expect(parse(env.bool(false), yes).data).toBe(true);
    for (const no of ['false', '0', 'No', 'off']) expect(parse(env.bool(true), no).data).toBe(false);
    expect(parse(env.bool(false), 'maybe').success).toBe(false);
  });

  test('logLevel: pino level names, case-insensitive', () => {
    expect(parse(env.logLevel(), undefined).data).toBe('info');
    expect(parse(env.logLevel('warn'), undefined).data).toBe('warn');
    expect(parse(env.logLevel(), 'DEBUG').data).toBe('debug');
    expect(parse(env.logLevel(), 'verbose').success).toBe(false);
  });
});
