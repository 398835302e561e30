// deploy/k8s rendered by kubectl kustomize (base, dev, prod, Kafka topics) and checked against
// the Kubernetes API schemas and the invariants docs/deployment.md promises.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STANDARD_TOPICS } from '../../../libs/shared/src/runtime/event-publisher.js';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { TOPICS } from '../../../libs/shared/src/envelope/topics.js';
import { deadLetterTopic } from '../../../libs/shared/src/events/dead-letter.js';
import { connectionAllowed, defaultPort, find, K8S, type K8sObject, ofKind, type Peer, render, REPO, validateAgainstSchema } from './k8s-objects.js';

const SERVICES = ['auth', 'policy', 'ratelimit', 'pii', 'billing'] as const;
/** The five and the audit sink: every Deployment, each an audit producer. */
const PRODUCERS = [...SERVICES, 'audit'] as const;
const OVERLAYS = ['base', 'overlays/dev', 'overlays/prod'] as const;
const rendered = Object.fromEntries(OVERLAYS.map((dir) => [dir, render(dir)])) as Record<(typeof OVERLAYS)[number], K8sObject[]>;
const container = (objects: K8sObject[], service: string) => find(objects, 'Deployment', service)!.spec.template.spec.containers[0];
const config = (objects: K8sObject[]) => find(objects, 'ConfigMap', 'aegis-config')!.data!;
const docs = (dir = join(REPO, 'docs')): string => readdirSync(dir, { withFileTypes: true })
  .map((e) => (e.isDirectory() ? docs(join(dir, e.name)) : e.name.endsWith('.md') ? readFileSync(join(dir, e.name), 'utf8') : ''))
  .join('\n');

describe.each(OVERLAYS)('%s', (overlay) => {
  const objects = rendered[overlay];

  it('is valid against the Kubernetes API schemas, all in the aegis namespace, with no Secret in git', async () => {
    for (const object of objects) await validateAgainstSchema(object);
    expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'aegis')).toEqual([]);
    expect(ofKind(objects, 'Secret')).toEqual([]);
  });

  it.each(SERVICES)('%s: Deployment, Service, ServiceAccount, PDB and HPA agree on names, labels and the port', (service) => {
    const port = defaultPort(service);
    const deployment = find(objects, 'Deployment', service)!;
    const pod = deployment.spec.template;
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': service });
    expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': service, 'app.kubernetes.io/part-of': 'aegis' });
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(pod.spec.serviceAccountName).toBe(service);
    expect(find(objects, 'ServiceAccount', service)!).toMatchObject({ automountServiceAccountToken: false });

    const svc = find(objects, 'Service', service)!;
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': service });
    expect(svc.spec.ports).toEqual([expect.objectContaining({ port, targetPort: 'grpc' })]);
    expect(container(objects, service).ports).toEqual([expect.objectContaining({ name: 'grpc', containerPort: port })]);
    expect(find(objects, 'PodDisruptionBudget', service)!.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': service });
    const hpa = find(objects, 'HorizontalPodAutoscaler', service);
    if (overlay === 'overlays/dev') expect(hpa).toBeUndefined();
    else expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: service });
  });

  it.each(SERVICES)('%s: hardened container with probes on the health service, resources and a drain longer than the grace', (service) => {
    const pod = find(objects, 'Deployment', service)!.spec.template.spec;
    const c = container(objects, service);
    expect(existsSync(join(REPO, c.args[0]))).toBe(true);
    expect(c.args).toEqual([`services/${service}/src/main.ts`]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    // Read-only root: the writable places the app uses are emptyDirs.
    const mounts = c.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/tmp', config(objects).AEGIS_DATA_DIR]));
    expect(c.readinessProbe.grpc).toEqual({ port: defaultPort(service) });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'grpc' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'grpc' });
    for (const kind of ['requests', 'limits']) expect(Object.keys(c.resources[kind]).sort()).toEqual(['cpu', 'memory']);
    const preStopSeconds = Number(c.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(config(objects).SHUTDOWN_GRACE_MS) + preStopSeconds * 1000);
  });

  it('sets only variables that docs/ document, and takes every secret from a Secret', () => {
    const documented = docs();
    const names = new Set(Object.keys(config(objects)));
    for (const service of SERVICES) {
      const c = container(objects, service);
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'aegis-config' } }]);
      for (const e of c.env) names.add(e.name);
      const fromSecrets = c.env.filter((e: { valueFrom?: unknown }) => e.valueFrom !== undefined).map((e: { name: string }) => e.name);
      expect(fromSecrets).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
      for (const e of c.env) if (/PEPPER|KEY|KEYS|_URL$/.test(e.name) && e.name !== 'AEGIS_AUTH_URL') expect(e.valueFrom?.secretKeyRef).toBeDefined();
    }
    for (const name of names) expect({ name, documented: documented.includes(`\`${name}\``) }).toEqual({ name, documented: true });
    expect(Object.keys(config(objects)).filter((k) => /PEPPER|KEYS?$|DATABASE_URL|REDIS_URL|SMTP_URL/.test(k))).toEqual([]);
  });

  it('every Deployment signs its audit checkpoints with its own key from a Secret, never a literal; the sink trusts the public keys', () => {
    const deployments = ofKind(objects, 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([...PRODUCERS].sort());
    for (const deployment of deployments) {
      const service = deployment.metadata.name;
      const env = deployment.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
      const signing = env.filter((e) => e.name === 'AEGIS_AUDIT_SIGNING_KEY');
      expect({ service, signing }).toEqual({ service, signing: [{ name: 'AEGIS_AUDIT_SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'aegis-audit-signing', key: service } } }] });
      // No key, pepper or keyring is ever written into a manifest.
      for (const e of env) if (/KEY|KEYS|PEPPER/.test(e.name)) expect({ service, name: e.name, value: e.value, secret: e.valueFrom?.secretKeyRef !== undefined }).toEqual({ service, name: e.name, value: undefined, secret: true });
    }
    expect(container(objects, 'audit').env.find((e: { name: string }) => e.name === 'AEGIS_AUDIT_PUBLIC_KEYS')).toEqual({
      name: 'AEGIS_AUDIT_PUBLIC_KEYS', valueFrom: { secretKeyRef: { name: 'aegis-audit-trusted-keys', key: 'AEGIS_AUDIT_PUBLIC_KEYS' } },
    });
  });

  describe('network policies', () => {
    const policies = ofKind(objects, 'NetworkPolicy');
    const aegisNs = { 'kubernetes.io/metadata.name': 'aegis' };
    const pod = (service: string): Peer => ({ namespace: 'aegis', namespaceLabels: aegisNs, labels: { 'app.kubernetes.io/name': service, 'app.kubernetes.io/part-of': 'aegis' } });
    const elsewhere = (labels: Record<string, string>): Peer => ({ namespace: 'other', namespaceLabels: labels, labels: {} });
    // Who calls whom: AEGIS_AUTH_URL everywhere, AEGIS_POLICY_URL from the services that require permissions.
    const calls: Record<string, string[]> = { auth: [], policy: ['auth'], ratelimit: ['auth', 'policy'], pii: ['auth', 'policy'], billing: ['auth', 'policy'] };

    it('deny everything by default', () => {
      expect(policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.ingress === undefined && p.spec.egress === undefined)!.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(connectionAllowed(policies, elsewhere({}), pod('auth'), 8081)).toBe(false);
      expect(connectionAllowed(policies, pod('pii'), elsewhere({}), 443)).toBe(false);
    });

    it('allow exactly the calls between Aegis services', () => {
      for (const from of SERVICES) {
        for (const to of SERVICES) {
          if (from === to) continue;
          const allowed = connectionAllowed(policies, pod(from), pod(to), defaultPort(to));
          expect({ from, to, allowed }).toEqual({ from, to, allowed: calls[from]!.includes(to) });
        }
      }
    });

    it('let platform namespaces and monitoring reach every service port, and nothing else', () => {
      for (const service of SERVICES) {
        expect(connectionAllowed(policies, elsewhere({ 'aegis.dev/client': 'true' }), pod(service), defaultPort(service))).toBe(true);
        expect(connectionAllowed(policies, elsewhere({ 'aegis.dev/monitoring': 'true' }), pod(service), defaultPort(service))).toBe(true);
        expect(connectionAllowed(policies, elsewhere({ 'aegis.dev/client': 'true' }), pod(service), 9999)).toBe(false);
      }
    });

    it('let every service reach DNS, Postgres, Redis, Kafka and the OTLP collector, and nothing else there', () => {
      const dns: Peer = { namespace: 'kube-system', namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' }, labels: { 'k8s-app': 'kube-dns' } };
      const backends = elsewhere({ 'aegis.dev/backends': 'true' });
      for (const service of SERVICES) {
        expect(connectionAllowed(policies, pod(service), dns, 53)).toBe(true);
        for (const port of [5432, 6379, 9092]) expect(connectionAllowed(policies, pod(service), backends, port)).toBe(true);
        expect(connectionAllowed(policies, pod(service), elsewhere({ 'aegis.dev/monitoring': 'true' }), 4318)).toBe(true);
        expect(connectionAllowed(policies, pod(service), backends, 22)).toBe(false);
        expect(connectionAllowed(policies, pod(service), elsewhere({}), 5432)).toBe(false);
      }
    });
  });
});

describe('overlays', () => {
  it('dev runs one small replica of each service, without autoscaling', () => {
    const dev = rendered['overlays/dev'];
    for (const service of SERVICES) {
      expect(find(dev, 'Deployment', service)!.spec.replicas).toBe(1);
      expect(container(dev, service).resources.requests.cpu).toBe('50m');
    }
    expect(ofKind(dev, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(container(dev, 'ratelimit').env.filter((e: { name: string }) => e.name === 'AEGIS_RATELIMIT_INSTANCES')).toEqual([{ name: 'AEGIS_RATELIMIT_INSTANCES', value: '1' }]);
  });

  it('prod runs at least three replicas spread over nodes, disrupted one at a time', () => {
    const prod = rendered['overlays/prod'];
    for (const service of SERVICES) {
      const deployment = find(prod, 'Deployment', service)!;
      const hpa = find(prod, 'HorizontalPodAutoscaler', service)!;
      expect(deployment.spec.replicas).toBe(3);
      expect(hpa.spec.minReplicas).toBe(3);
      expect(find(prod, 'PodDisruptionBudget', service)!.spec).toEqual({ minAvailable: 2, selector: { matchLabels: { 'app.kubernetes.io/name': service } } });
      const term = deployment.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
      expect(term).toEqual({ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': service } } });
      expect(container(prod, service).image).toMatch(/:[\w.-]+$/);
    }
    const instances = container(prod, 'ratelimit').env.filter((e: { name: string }) => e.name === 'AEGIS_RATELIMIT_INSTANCES');
    expect(instances).toEqual([{ name: 'AEGIS_RATELIMIT_INSTANCES', value: String(find(prod, 'HorizontalPodAutoscaler', 'ratelimit')!.spec.minReplicas) }]);
  });
});

describe('Kafka topics', () => {
  const DAY = 86_400_000;
  // docs/events.md: sizing and retention of the aegis.events.v1 topics.
  const expected = {
    [TOPICS.audit]: { partitions: 6, 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY) },
    [TOPICS.usage]: { partitions: 12, 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY) },
    [TOPICS.alerts]: { partitions: 3, 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY) },
    [TOPICS.tenants]: { partitions: 3, 'cleanup.policy': 'compact' },
    // Dead letters (docs/deployment.md): as many partitions as billing and the sink create them with.
    [deadLetterTopic(TOPICS.usage)]: { partitions: 3, 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY) },
    [deadLetterTopic(TOPICS.audit)]: { partitions: 3, 'cleanup.policy': 'delete', 'retention.ms': String(90 * DAY) },
  };

  it('declares every standard topic as a Strimzi KafkaTopic with the documented sizing', () => {
    const declared = Object.fromEntries(render('kafka-topics').map((t) => {
      const { 'min.insync.replicas': minIsr, ...config } = t.spec.config;
      expect({ replicas: t.spec.replicas, minIsr }).toEqual({ replicas: 3, minIsr: '2' });
      return [t.metadata.name, { partitions: t.spec.partitions, ...config }];
    }));
    expect(declared).toEqual(expected);
    // Never fewer partitions than the runtime would create, and the same clean-up policy.
    for (const spec of STANDARD_TOPICS) {
      expect(declared[spec.topic]!.partitions).toBeGreaterThanOrEqual(spec.partitions);
      expect(declared[spec.topic]!['cleanup.policy']).toBe(spec.cleanupPolicy ?? 'delete');
    }
  });

  it('create-topics.sh creates the same topics with kafka-topics.sh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aegis-topics-'));
    const log = join(dir, 'calls');
    const stub = join(dir, 'kafka-topics.sh');
    writeFileSync(stub, `#!/usr/bin/env bash\necho "$*" >> ${JSON.stringify(log)}\n`);
    chmodSync(stub, 0o755);
    execFileSync('bash', [join(K8S, 'kafka-topics/create-topics.sh')], { env: { ...process.env, KAFKA_BOOTSTRAP: 'kafka:9092', KAFKA_TOPICS_SH: stub } });
    const created = Object.fromEntries(readFileSync(log, 'utf8').trim().split('\n').map((line) => {
      const args = line.split(' ');
      const value = (flag: string) => args[args.indexOf(flag) + 1]!;
      expect(value('--bootstrap-server')).toBe('kafka:9092');
      const config = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '--config' ? [a.split('=')] : [])));
      delete config['min.insync.replicas'];
      return [value('--topic'), { partitions: Number(value('--partitions')), ...config }];
    }));
    expect(created).toEqual(expected);
  });
});

describe('create-secrets.sh', () => {
  const publicHalf = (pkcs8Base64: string): string =>
    createPublicKey(createPrivateKey({ key: Buffer.from(pkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' }).toString('base64');

  /**
   * Runs the script against a stub kubectl: `get` finds the Secrets in `existing` (name ->
   * key -> value), and every other call is recorded. Returns the literals of each `create`.
   */
  function runScript(existing: Record<string, Record<string, string>> = {}, env: Record<string, string> = {}): { created: Map<string, string>; calls: string[]; rawCalls: string } {
    const dir = mkdtempSync(join(tmpdir(), 'aegis-secrets-'));
    const log = join(dir, 'calls');
    const stub = join(dir, 'kubectl');
    const lookups = Object.entries(existing).flatMap(([name, data]) => [
      `[[ "$1 $3" == "get ${name}" && "$*" != *jsonpath* ]] && exit 0`,
      ...Object.entries(data).map(([key, value]) => `[[ "$1 $3" == "get ${name}" && "$*" == *"{.data.${key}}"* ]] && { printf '%s' ${JSON.stringify(Buffer.from(value).toString('base64'))}; exit 0; }`),
      `[[ "$1 $3" == "get ${name}" ]] && exit 0`,
    ]);
    // Values passed in files are logged as their contents (`--from-file=K=path` as
    // `--from-literal=K=value`, `--patch-file path` as `-p patch`): the files are gone afterwards.
    const record = [
      `echo "$*" >> ${JSON.stringify(`${log}.raw`)}`,
      'args=()',
      'while (( $# )); do',
      '  case "$1" in',
      '    --from-file=*) kv="${1#--from-file=}"; args+=("--from-literal=${kv%%=*}=$(cat "${kv#*=}")") ;;',
      '    --patch-file) args+=(-p "$(cat "$2")"); shift ;;',
      '    *) args+=("$1") ;;',
      '  esac',
      '  shift',
      'done',
      `echo "\${args[*]}" >> ${JSON.stringify(log)}`,
    ];
    writeFileSync(stub, `#!/usr/bin/env bash\n${lookups.join('\n')}\n[[ "$1" == get ]] && exit 1\n${record.join('\n')}\n`);
    chmodSync(stub, 0o755);
    execFileSync('bash', [join(K8S, 'create-secrets.sh')], { stdio: 'pipe', env: { ...process.env, KUBECTL: stub, DATABASE_URL: 'postgres://db/aegis', REDIS_URL: 'redis://redis:6379', ...env } });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    const rawCalls = readFileSync(`${log}.raw`, 'utf8');
    const created = new Map(calls.filter((line) => line.startsWith('create secret generic ')).flatMap((line) => {
      const args = line.split(' ');
      const name = args[3];
      return args.filter((a) => a.startsWith('--from-literal=')).map((a) => {
        const pair = a.slice('--from-literal='.length);
        return [`${name}/${pair.slice(0, pair.indexOf('='))}`, pair.slice(pair.indexOf('=') + 1)] as const;
      });
    }));
    return { created, calls, rawCalls };
  }

  it('never puts a secret value on a command line (readable by every user of the machine)', () => {
    const { created, rawCalls } = runScript({ 'aegis-audit-signing': { auth: runScript().created.get('aegis-audit-signing/auth')! } });
    const secrets = [...created].filter(([name]) => !name.startsWith('aegis-audit-trusted-keys/')).map(([, value]) => value);
    expect(secrets.length).toBeGreaterThan(10);
    for (const value of secrets) expect(rawCalls).not.toContain(value);
    expect(rawCalls).toContain('--patch-file');
  });

  it('creates every Secret key the manifests reference', () => {
    const { created } = runScript();
    for (const service of PRODUCERS) {
      for (const e of container(rendered['overlays/prod'], service).env) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref !== undefined && ref.optional !== true) expect([...created.keys()]).toContain(`${ref.name}/${ref.key}`);
      }
    }
  });

  it('makes one Ed25519 signing key per service, and the trusted keys are exactly their public halves (plus any given)', () => {
    // An external producer's key (another run's), given to the script.
    const extra = publicHalf(runScript().created.get('aegis-audit-signing/auth')!);
    const { created, calls } = runScript({}, { AEGIS_AUDIT_PUBLIC_KEYS: extra });
    const keys = PRODUCERS.map((service) => created.get(`aegis-audit-signing/${service}`)!);
    expect(new Set(keys).size).toBe(PRODUCERS.length);
    for (const key of keys) expect(createPrivateKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ed25519');
    expect(created.get('aegis-audit-trusted-keys/AEGIS_AUDIT_PUBLIC_KEYS')!.split(',')).toEqual([...keys.map(publicHalf), extra]);
    // Rewritten on every run (public keys, derived): applied, not created once.
    expect(calls).toContain('apply -f -');
  });

  it('keeps existing signing keys, adds a missing one, and keeps trusting the keys it trusted before', () => {
    const existing = Object.fromEntries(SERVICES.map((service) => [service, runScript().created.get(`aegis-audit-signing/${service}`)!]));
    const retired = publicHalf(runScript().created.get('aegis-audit-signing/audit')!);
    const { created, calls } = runScript({ 'aegis-audit-signing': existing, 'aegis-audit-trusted-keys': { AEGIS_AUDIT_PUBLIC_KEYS: retired } });
    expect([...created.keys()].filter((k) => k.startsWith('aegis-audit-signing/'))).toEqual([]);
    // The sink's key was missing: patched in.
    const patch = calls.find((line) => line.startsWith('patch secret aegis-audit-signing '))!;
    const added = /"audit":"([^"]+)"/.exec(patch)![1]!;
    const trusted = created.get('aegis-audit-trusted-keys/AEGIS_AUDIT_PUBLIC_KEYS')!.split(',');
    expect(trusted).toEqual([...SERVICES.map((service) => publicHalf(existing[service]!)), publicHalf(added), retired]);
  });
});

describe('image', () => {
  it('runs as the unprivileged node user with node as PID 1 and tsx loaded', () => {
    const dockerfile = readFileSync(join(REPO, 'deploy/docker/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--import", "tsx"\]$/m);
  });
});
