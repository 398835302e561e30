// Renders deploy/k8s with `kubectl kustomize` and answers questions about the objects: what the
// manifests test asks, kept out of it so the test reads as a list of invariants.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const K8S = join(REPO, 'deploy/k8s');

// Loose on purpose: the manifests are checked field by field, and against the API schemas.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string> };
type Labels = Record<string, string>;
type Selector = { matchLabels?: Labels; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined;

/** `kubectl kustomize <dir>`: kubectl ships kustomize; a missing kubectl fails the test, it is not skipped. */
export function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', join(K8S, dir)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((doc) => doc.toJS() as K8sObject).filter((o) => o !== null);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** Each service's `defaultPort`, read from its definition. */
export function defaultPort(service: string): number {
  const source = readFileSync(join(REPO, `services/${service}/src/definition.ts`), 'utf8');
  const match = /defaultPort:\s*(\d+)/.exec(source);
  if (match === null) throw new Error(`no defaultPort in services/${service}/src/definition.ts`);
  return Number(match[1]);
}

export function matches(selector: Selector, labels: Labels): boolean {
  if (selector === undefined || selector === null) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every((e) => {
    if (e.operator === 'In') return e.values!.includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !e.values!.includes(labels[e.key]!);
    if (e.operator === 'Exists') return e.key in labels;
    return !(e.key in labels);
  });
  return byLabel && byExpression;
}

/** A pod as network policies see it: its namespace's labels and its own. */
export interface Peer {
  namespace: string;
  namespaceLabels: Labels;
  labels: Labels;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function peerAllowed(rule: any, policyNamespace: string, peer: Peer, port: number, direction: 'from' | 'to'): boolean {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const portOk = rule.ports === undefined || rule.ports.some((p: any) => (p.protocol ?? 'TCP') === 'TCP' && p.port === port);
  if (!portOk) return false;
  const peers = rule[direction];
  if (peers === undefined) return true;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return peers.some((p: any) => {
    if (p.ipBlock !== undefined) return false; // pods are never in the public ranges allowed
    const nsOk = p.namespaceSelector === undefined ? peer.namespace === policyNamespace : matches(p.namespaceSelector, peer.namespaceLabels) || Object.keys(p.namespaceSelector).length === 0;
    const podOk = p.podSelector === undefined || Object.keys(p.podSelector).length === 0 || matches(p.podSelector, peer.labels);
    return nsOk && podOk;
  });
}

function selects(policy: K8sObject, pod: Peer): boolean {
  if (policy.metadata.namespace !== pod.namespace) return false;
  const selector = policy.spec.podSelector;
  return Object.keys(selector).length === 0 || matches(selector, pod.labels);
}

/**
 * Whether a TCP connection from `from` to `to`:port is allowed: egress policies that select the
 * source (if any) must allow it, and ingress policies that select the destination likewise.
 * Peers outside the rendered namespace have no policies of ours, so they are unrestricted there.
 */
export function connectionAllowed(policies: K8sObject[], from: Peer, to: Peer, port: number): boolean {
  const types = (p: K8sObject): string[] => p.spec.policyTypes ?? ['Ingress'];
  const egress = policies.filter((p) => selects(p, from) && types(p).includes('Egress'));
  const ingress = policies.filter((p) => selects(p, to) && types(p).includes('Ingress'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const egressOk = egress.length === 0 || egress.some((p) => (p.spec.egress ?? []).some((r: any) => peerAllowed(r, p.metadata.namespace!, to, port, 'to')));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ingressOk = ingress.length === 0 || ingress.some((p) => (p.spec.ingress ?? []).some((r: any) => peerAllowed(r, p.metadata.namespace!, from, port, 'from')));
  return egressOk && ingressOk;
}

/** kubernetes-models' schema validation for a built-in object (types, required fields, enums). */
export async function validateAgainstSchema(object: K8sObject): Promise<void> {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [undefined, object.apiVersion];
  const module = await import(`kubernetes-models/${group === undefined ? '' : `${group}/`}${version}/${object.kind}`);
  const Model = module[object.kind] ?? module.default;
  new Model(object).validate();
}
