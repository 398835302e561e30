// The audit sink in deploy/k8s, rendered by kubectl kustomize and checked against the
// Kubernetes schemas, with the network rules the sink needs: Kafka and its Postgres, never
// Redis; auth and policy for credentials and permissions; reached by clients and monitoring.
// (test/unit/deploy covers the other five services with the same helpers.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionAllowed, defaultPort, find, ofKind, REPO, render, validateAgainstSchema, type K8sObject, type Peer } from '../../../../test/unit/deploy/k8s-objects.js';

const OVERLAYS = ['base', 'overlays/dev', 'overlays/prod'] as const;
const rendered = Object.fromEntries(OVERLAYS.map((dir) => [dir, render(dir)])) as Record<(typeof OVERLAYS)[number], K8sObject[]>;

describe.each(OVERLAYS)('%s', (overlay) => {
  const objects = rendered[overlay];
  const names = (kind: string) => ofKind(objects, kind).map((o) => o.metadata.name);

  it('declares the sink like the other services, valid against the schemas', async () => {
    for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'PodDisruptionBudget', 'NetworkPolicy']) expect(names(kind)).toContain('audit');
    for (const object of objects.filter((o) => o.metadata.name === 'audit')) await validateAgainstSchema(object);
    const deployment = find(objects, 'Deployment', 'audit')!;
    const c = deployment.spec.template.spec.containers[0];
    expect(c.args).toEqual(['services/audit/src/main.ts']);
    expect(c.ports).toEqual([expect.objectContaining({ name: 'grpc', containerPort: defaultPort('audit') })]);
    expect(c.readinessProbe.grpc).toEqual({ port: 8086 });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // The sink needs no Redis: no REDIS_URL, so it never tries to reach one.
    // Its signing key and the keys it trusts come from their own Secrets (docs/deployment.md, "Audit signing keys").
    expect(c.env.map((e: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }) => [e.name, e.valueFrom?.secretKeyRef?.name])).toEqual([
      ['AEGIS_AUDIT_SIGNING_KEY', 'aegis-audit-signing'], ['DATABASE_URL', 'aegis-audit'], ['AEGIS_AUDIT_PUBLIC_KEYS', 'aegis-audit-trusted-keys'],
    ]);
    if (overlay === 'overlays/prod') expect(deployment.spec.replicas).toBe(3);
    if (overlay === 'overlays/dev') expect(deployment.spec.replicas).toBe(1);
  });

  it('lets the sink reach Kafka and Postgres (not Redis), auth and policy, and be reached by clients and monitoring', () => {
    const policies = ofKind(objects, 'NetworkPolicy');
    const aegis = { 'kubernetes.io/metadata.name': 'aegis' };
    const pod = (service: string): Peer => ({ namespace: 'aegis', namespaceLabels: aegis, labels: { 'app.kubernetes.io/name': service, 'app.kubernetes.io/part-of': 'aegis' } });
    const elsewhere = (labels: Record<string, string>): Peer => ({ namespace: 'other', namespaceLabels: labels, labels: {} });
    const backends = elsewhere({ 'aegis.dev/backends': 'true' });
    expect(connectionAllowed(policies, pod('audit'), backends, 9092)).toBe(true);
    expect(connectionAllowed(policies, pod('audit'), backends, 5432)).toBe(true);
    expect(connectionAllowed(policies, pod('audit'), backends, 6379)).toBe(false);
    expect(connectionAllowed(policies, pod('audit'), pod('auth'), 8081)).toBe(true);
    expect(connectionAllowed(policies, pod('audit'), pod('policy'), 8082)).toBe(true);
    for (const other of ['ratelimit', 'pii', 'billing']) expect(connectionAllowed(policies, pod('audit'), pod(other), defaultPort(other))).toBe(false);
    expect(connectionAllowed(policies, pod('audit'), elsewhere({}), 443)).toBe(false);
    // The other services still reach Redis (allow-backends leaves out only the sink).
    expect(connectionAllowed(policies, pod('billing'), backends, 6379)).toBe(true);
    expect(connectionAllowed(policies, elsewhere({ 'aegis.dev/client': 'true' }), pod('audit'), 8086)).toBe(true);
    expect(connectionAllowed(policies, elsewhere({ 'aegis.dev/monitoring': 'true' }), pod('audit'), 8086)).toBe(true);
    expect(connectionAllowed(policies, pod('billing'), pod('audit'), 8086)).toBe(false);
    expect(connectionAllowed(policies, elsewhere({}), pod('audit'), 8086)).toBe(false);
  });
});

it('create-secrets.sh creates the sink\'s Secret', () => {
  const script = readFileSync(join(REPO, 'deploy/k8s/create-secrets.sh'), 'utf8');
  expect(script).toMatch(/create aegis-audit /);
  expect(script).toContain('DATABASE_URL=$(database_url audit)');
});
