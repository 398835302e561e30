// deploy/compose/compose.yaml parsed (there is no Docker here to run it) and held to what
// docs/deployment.md promises: every service present and pointed at the backends, only
// variables the config schemas read, unique ports, no secret written in the file.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { TOPICS } from '../../../libs/shared/src/envelope/topics.js';
import { deadLetterTopic } from '../../../libs/shared/src/events/dead-letter.js';
import { looksSecret } from '../../../libs/shared/src/config/load-config.js';
import { PER_SERVICE_VARIABLES, serviceVariable } from '../../../libs/shared/src/config/runtime-config.js';
import { REPO } from './k8s-objects.js';

const COMPOSE_DIR = join(REPO, 'deploy/compose');
const text = readFileSync(join(COMPOSE_DIR, 'compose.yaml'), 'utf8');
// Compose resolves YAML merge keys (<<), as `merge: true` does here.
const compose = parse(text, { merge: true }) as { services: Record<string, any>; volumes: Record<string, unknown> };
const services = compose.services;

const AEGIS = { auth: 8081, policy: 8082, ratelimit: 8083, pii: 8084, billing: 8085, audit: 8086 } as const;
const NAMES = Object.keys(AEGIS) as (keyof typeof AEGIS)[];
const env = (service: string): Record<string, string> => services[service].environment;

/** A whole value that is a Compose interpolation: ${NAME}, ${NAME:?message} or ${NAME:-default}. */
const REFERENCE = /^\$\{([A-Z][A-Z0-9_]*)(?::?[?-][^}]*)?\}$/;

/** Every variable some config schema reads: the upper-case keys of the z.object schemas parsed with loadConfig. */
function knownVariables(): Set<string> {
  const known = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        if (!source.includes('loadConfig(')) continue;
        for (const match of source.matchAll(/^\s+([A-Z][A-Z0-9_]{2,}):\s/gm)) known.add(match[1]!);
      }
    }
  };
  visit(join(REPO, 'libs/shared/src'));
  for (const service of readdirSync(join(REPO, 'services'))) if (existsSync(join(REPO, 'services', service, 'src'))) visit(join(REPO, 'services', service, 'src'));
  for (const service of NAMES) for (const name of PER_SERVICE_VARIABLES) known.add(serviceVariable(service, name));
  return known;
}

test('the schema scan finds the variables it should (so the next test cannot pass vacuously)', () => {
  const known = knownVariables();
  for (const name of ['DATABASE_URL', 'KAFKA_BROKERS', 'AEGIS_AUTH_URL', 'AEGIS_POLICY_URL', 'AEGIS_AUTH_API_KEY_PEPPER', 'AEGIS_PII_HASH_KEY', 'AEGIS_BILLING_ENCRYPTION_KEYS', 'AEGIS_AUDIT_SIGNING_KEY', 'AEGIS_AUDIT_PUBLIC_KEYS']) {
    expect({ name, known: known.has(name) }).toEqual({ name, known: true });
  }
  expect(known.has('POSTGRES_PASSWORD')).toBe(false);
});

describe.each(NAMES)('%s', (name) => {
  const service = () => services[name];

  it('is built from the Dockerfile and runs its own entry point', () => {
    const s = service();
    expect(s.build).toEqual({ context: '../..', dockerfile: 'deploy/docker/Dockerfile' });
    expect(existsSync(join(resolve(COMPOSE_DIR, s.build.context), s.build.dockerfile))).toBe(true);
    expect(s.command).toEqual([`services/${name}/src/main.ts`]);
    expect(existsSync(join(REPO, 'services', name))).toBe(true);
  });

  it('is pointed at Postgres, Redis, Kafka, auth and policy, and listens on its default port', () => {
    const e = env(name);
    expect(e.DATABASE_URL).toMatch(/^postgres:\/\/aegis:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/aegis$/);
    // The audit sink keeps nothing in Redis (and its network policy on Kubernetes denies it).
    if (name === 'audit') expect(e.REDIS_URL).toBeUndefined();
    else expect(e.REDIS_URL).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379$/);
    expect(e.KAFKA_BROKERS).toBe('kafka:9092');
    expect(e.AEGIS_AUTH_URL).toBe(`http://auth:${env('auth').PORT}`);
    expect(e.AEGIS_AUTH_ISSUER).toBe(e.AEGIS_AUTH_URL);
    expect(e.AEGIS_POLICY_URL).toBe(`http://policy:${env('policy').PORT}`);
    expect(e.HOST).toBe('0.0.0.0');
    expect(e.PORT).toBe(String(AEGIS[name]));
    expect(service().ports).toEqual([`127.0.0.1:${AEGIS[name]}:${AEGIS[name]}`]);
  });

  it('sets only variables a config schema reads', () => {
    const known = knownVariables();
    for (const variable of Object.keys(env(name))) expect({ variable, known: known.has(variable) }).toEqual({ variable, known: true });
  });

  it('starts after its backends (and auth and policy), is health-checked on /readyz, and runs hardened', () => {
    const s = service();
    expect(s.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      'kafka-topics': { condition: 'service_completed_successfully' },
    });
    expect(s.depends_on.redis).toEqual(name === 'audit' ? undefined : { condition: 'service_healthy' });
    if (name !== 'auth') expect(s.depends_on.auth).toEqual({ condition: 'service_healthy' });
    if (name !== 'auth' && name !== 'policy') expect(s.depends_on.policy).toEqual({ condition: 'service_healthy' });
    // auth asks policy for permissions at request time only: waiting for it would be a cycle.
    expect(services.auth.depends_on.policy).toBeUndefined();
    expect(s.healthcheck.test.join(' ')).toContain('/readyz');
    expect(s).toMatchObject({ user: '1000:1000', read_only: true, cap_drop: ['ALL'], tmpfs: ['/tmp'] });
    expect(s.volumes).toEqual([`${name}-data:/var/lib/aegis`]);
    expect(compose.volumes).toHaveProperty(`${name}-data`);
  });
});

test('the backends: Postgres, Redis and a single KRaft Kafka 3.9 node, health-checked, not published', () => {
  expect(services.postgres.image).toMatch(/^postgres:\d+/);
  expect(services.redis.image).toMatch(/^redis:\d+/);
  expect(services.kafka.image).toMatch(/^apache\/kafka:3\.9(\.\d+)?$/);
  expect(services.kafka.environment).toMatchObject({ KAFKA_PROCESS_ROLES: 'broker,controller', KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://kafka:9092', KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:9093' });
  for (const backend of ['postgres', 'redis', 'kafka']) {
    expect(services[backend].healthcheck.test).toBeDefined();
    expect(services[backend].ports).toBeUndefined();
  }
});

test('the topics are created by the deployment script, which creates every topic Aegis uses', () => {
  const init = services['kafka-topics'];
  expect(init.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
  const [mount] = init.volumes as string[];
  const [source, target] = mount!.split(':');
  expect(init.entrypoint).toEqual(['bash', target]);
  const script = readFileSync(resolve(COMPOSE_DIR, source!), 'utf8');
  for (const topic of [...Object.values(TOPICS), deadLetterTopic(TOPICS.usage), deadLetterTopic(TOPICS.audit)]) {
    expect(script).toMatch(new RegExp(`^create ${topic.replace(/\./g, '\\.')}\\s+\\d+`, 'm'));
  }
  expect(init.environment).toMatchObject({ KAFKA_BOOTSTRAP: 'kafka:9092', REPLICATION_FACTOR: '1', MIN_INSYNC_REPLICAS: '1' });
});

test('published ports are unique', () => {
  const published = Object.values(services).flatMap((s: any) => (s.ports ?? []) as string[]).map((p) => p.split(':').slice(0, -1).join(':'));
  expect(published.length).toBe(NAMES.length);
  expect(new Set(published).size).toBe(published.length);
});

test('no secret is written in the file: every secret-looking value is a reference to the env file', () => {
  const required = new Set<string>();
  for (const [service, s] of Object.entries(services)) {
    for (const [variable, value] of Object.entries((s.environment ?? {}) as Record<string, unknown>)) {
      const v = String(value);
      for (const m of v.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)) required.add(m[1]!);
      // Addresses of services, and a Kafka setting the name check misreads (SECURITY contains URI).
      if (!looksSecret(variable) || /^(AEGIS_AUTH_URL|AEGIS_AUTH_ISSUER|AEGIS_POLICY_URL|KAFKA_BOOTSTRAP|KAFKA_LISTENER_SECURITY_PROTOCOL_MAP)$/.test(variable)) continue;
      if (/_URL$/.test(variable)) {
        // A URL may be written out, but its password part must be a reference.
        const userinfo = /^[a-z+]+:\/\/(.*)@[^@]*$/.exec(v)?.[1];
        if (userinfo !== undefined) expect({ service, variable, password: userinfo.slice(userinfo.indexOf(':') + 1) }).toEqual({ service, variable, password: expect.stringMatching(REFERENCE) });
        else expect({ service, variable, value: v }).toEqual({ service, variable, value: expect.stringMatching(REFERENCE) });
      } else expect({ service, variable, value: v }).toEqual({ service, variable, value: expect.stringMatching(REFERENCE) });
    }
  }
  // Nothing key-like anywhere in the file (base64 of 24+ bytes, or an API key).
  expect(text).not.toMatch(/[A-Za-z0-9+/]{32,}={0,2}/);
  expect(text).not.toMatch(/genxai_live_/);
  expect([...required].sort()).toEqual([
    'AEGIS_AUDIT_PUBLIC_KEYS', 'AEGIS_AUDIT_SINK_SIGNING_KEY', 'AEGIS_AUTH_API_KEY_PEPPER', 'AEGIS_AUTH_AUDIT_SIGNING_KEY', 'AEGIS_AUTH_ENCRYPTION_KEYS',
    'AEGIS_BILLING_AUDIT_SIGNING_KEY', 'AEGIS_BILLING_ENCRYPTION_KEYS', 'AEGIS_PII_AUDIT_SIGNING_KEY', 'AEGIS_PII_HASH_KEY', 'AEGIS_PII_TOKEN_KEYS',
    'AEGIS_POLICY_AUDIT_SIGNING_KEY', 'AEGIS_RATELIMIT_AUDIT_SIGNING_KEY', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD',
  ]);
  // gen-env.sh writes every variable the file requires (run on a copy, so no .env appears here).
  const written = generatedEnv();
  for (const variable of required) expect({ variable, set: (written[variable] ?? '') !== '' }).toEqual({ variable, set: true });
  expect(readFileSync(join(COMPOSE_DIR, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
});

/** Runs a copy of gen-env.sh in a fresh directory (again, when given its .env) and parses what it wrote. */
function generatedEnv(dir = mkdtempSync(join(tmpdir(), 'aegis-gen-env-'))): Record<string, string> & { dir: string } {
  copyFileSync(join(COMPOSE_DIR, 'gen-env.sh'), join(dir, 'gen-env.sh'));
  execFileSync('bash', [join(dir, 'gen-env.sh')], { stdio: 'pipe' });
  const lines = readFileSync(join(dir, '.env'), 'utf8').split('\n').filter((l) => /^[A-Z]/.test(l));
  return { ...Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])), dir };
}

const publicHalf = (pkcs8Base64: string): string =>
  createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' }).toString('base64');

test('every service signs with its own stable Ed25519 key from .env, and the audit sink trusts exactly their public halves', () => {
  const keyOf: Record<string, string> = {};
  for (const name of NAMES) {
    const reference = REFERENCE.exec(env(name).AEGIS_AUDIT_SIGNING_KEY ?? '');
    expect({ name, reference: reference?.[0] }).toEqual({ name, reference: expect.stringMatching(/:\?/) });
    keyOf[name] = reference![1]!;
  }
  expect(new Set(Object.values(keyOf)).size).toBe(NAMES.length);
  expect(env('audit').AEGIS_AUDIT_PUBLIC_KEYS).toMatch(/^\$\{AEGIS_AUDIT_PUBLIC_KEYS:\?/);

  const first = generatedEnv();
  const keys = Object.values(keyOf).map((variable) => first[variable]!);
  for (const key of keys) expect(createPrivateKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ed25519');
  expect(first.AEGIS_AUDIT_PUBLIC_KEYS!.split(',').sort()).toEqual(keys.map(publicHalf).sort());

  // A second run keeps everything; an .env of an older version gets the missing keys, and the
  // trusted list keeps the keys it had.
  const again = generatedEnv(first.dir);
  expect(again).toEqual(first);
  const older = readFileSync(join(first.dir, '.env'), 'utf8').split('\n').filter((l) => !l.startsWith('AEGIS_PII_AUDIT_SIGNING_KEY=')).join('\n');
  writeFileSync(join(first.dir, '.env'), older);
  const upgraded = generatedEnv(first.dir);
  expect(upgraded.AEGIS_PII_AUDIT_SIGNING_KEY).not.toBe(first.AEGIS_PII_AUDIT_SIGNING_KEY);
  expect(upgraded.AEGIS_AUTH_AUDIT_SIGNING_KEY).toBe(first.AEGIS_AUTH_AUDIT_SIGNING_KEY);
  expect(upgraded.AEGIS_AUDIT_PUBLIC_KEYS!.split(',').sort()).toEqual([...first.AEGIS_AUDIT_PUBLIC_KEYS!.split(','), publicHalf(upgraded.AEGIS_PII_AUDIT_SIGNING_KEY!)].sort());
});
