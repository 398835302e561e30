/**
 * A bench's knobs, each settable as `--round-ms=500` or `BENCH_ROUND_MS=500` (flag wins),
 * so a CI job or a curious developer can shorten or lengthen a run without editing code.
 * The defaults' types decide the parsing: numbers must be positive, strings are taken as given.
 */
export function readSettings<T extends Record<string, number | string>>(
  defaults: T,
  source: { argv?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): T {
  const argv = source.argv ?? process.argv.slice(2);
  const env = source.env ?? process.env;
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (match === null) throw new Error(`unrecognised argument "${arg}" (expected --name=value)`);
    flags.set(match[1]!, match[2]!);
  }
  const known = new Set(Object.keys(defaults).map(kebab));
  for (const flag of flags.keys()) {
    if (!known.has(flag)) throw new Error(`unknown setting --${flag}; known: ${[...known].map((k) => `--${k}`).join(', ')}`);
  }
  const settings: Record<string, number | string> = { ...defaults };
  for (const [key, fallback] of Object.entries(defaults)) {
    const envName = `BENCH_${kebab(key).replaceAll('-', '_').toUpperCase()}`;
    const raw = flags.get(kebab(key)) ?? env[envName];
    if (raw === undefined) continue;
    if (typeof fallback === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value) || value <= 0) throw new Error(`--${kebab(key)} / ${envName} must be a positive number, got "${raw}"`);
      settings[key] = value;
    } else {
      settings[key] = raw;
    }
  }
  return settings as T;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
