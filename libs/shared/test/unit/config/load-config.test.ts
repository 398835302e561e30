import { z } from 'zod';
import { ConfigError, env, loadConfig } from '../../../src/config/index.js';

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const schema = z.object({
  PORT: env.port(8080),
  DATABASE_URL: env.url({ protocols: ['postgres', 'postgresql'] }),
  SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters'),
  FEATURE_X: env.bool(false),
});

describe('loadConfig', () => {
  test('returns the parsed, typed values', () => {
    const config = loadConfig(schema, {
      PORT: '9000',
      DATABASE_URL: 'postgres://u:pw@h/db',
      SIGNING_SECRET: 'x'.repeat(32),
      FEATURE_X: 'yes',
      UNRELATED: 'ignored',
    });
    expect(config).toEqual({ PORT: 9000, DATABASE_URL: 'postgres://u:pw@h/db', SIGNING_SECRET: 'x'.repeat(32), FEATURE_X: true });
  });

  test('names every bad variable in one error', () => {
    const err = configErrorOf(() => loadConfig(schema, { PORT: '70000', DATABASE_URL: 'mysql://u:pw@h/db', FEATURE_X: 'maybe' }));
    expect(err.issues.map((issue) => issue.variable).sort()).toEqual(['DATABASE_URL', 'FEATURE_X', 'PORT', 'SIGNING_SECRET']);
    for (const variable of ['PORT', 'DATABASE_URL', 'SIGNING_SECRET', 'FEATURE_X']) expect(err.message).toContain(variable);
    expect(err.issues.find((issue) => issue.variable === 'SIGNING_SECRET')?.message).toBe('is required but not set');
  });

  test('never echoes secret values, even when a refinement quotes its input', () => {
    const quoting = z.object({
      SIGNING_SECRET: z.string().superRefine((value, ctx) => ctx.addIssue({ code: 'custom', message: `rejected "${value}"` })),
      DATABASE_URL: env.url({ protocols: ['postgres'] }),
    });
    const err = configErrorOf(() => loadConfig(quoting, { SIGNING_SECRET: 'hunter2-signing-key', DATABASE_URL: 'mysql://aegis:hunter3@db/x' }));
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('hunter3');
    expect(JSON.stringify(err.issues)).not.toMatch(/hunter[23]/);
    expect(err.message).toContain('SIGNING_SECRET: is invalid');
    expect(err.message).toContain('DATABASE_URL: must be a URL with scheme postgres://');
  });

  test('treats empty values as unset, so defaults and optionality apply', () => {
    const optional = z.object({ PORT: env.port(8080), REDIS_URL: env.url().optional() });
    expect(loadConfig(optional, { PORT: '', REDIS_URL: '  ' })).toEqual({ PORT: 8080, REDIS_URL: undefined });
  });

  test('reads process.env by default', () => {
    const name = `AEGIS_TEST_${process.pid}`;
    process.env[name] = '42';
    try {
      expect(loadConfig(z.object({ [name]: env.port(1) }))).toEqual({ [name]: 42 });
    } finally {
      delete process.env[name];
    }
  });
});
