// Conventions of docs/contracts.md that buf lint cannot see, checked over
// every generated aegis.* descriptor so a new RPC cannot silently skip them.
import { getOption, hasOption, ScalarType } from '@bufbuild/protobuf';
import type { DescMessage, DescService } from '@bufbuild/protobuf';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readdir, readFile } from 'node:fs/promises';
import { access } from '@aegis/proto/aegis/common/v1/access_pb.js';
import { AccessScope } from '@aegis/proto/aegis/common/v1/access_pb.js';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { generatedDir, repoRoot } from './repo.js';

// Requests with no tenant: platform-wide public metadata and platform operations.
const UNSCOPED_REQUESTS = new Set([
  'aegis.auth.v1.ListTenantsRequest',
  'aegis.auth.v1.GetJwksRequest',
  'aegis.auth.v1.RotateSigningKeyRequest',
]);

async function loadAegisDescriptors(): Promise<{ services: DescService[]; messages: DescMessage[] }> {
  const root = path.join(generatedDir, 'aegis');
  const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('_pb.ts'));
  const services: DescService[] = [];
  const messages: DescMessage[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(root, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      const desc = value as { kind?: string };
      if (desc?.kind === 'service') services.push(value as DescService);
      if (desc?.kind === 'message') messages.push(value as DescMessage);
    }
  }
  return { services, messages };
}

function reachableMessages(root: DescMessage, seen = new Map<string, DescMessage>()): DescMessage[] {
  if (seen.has(root.typeName)) return [...seen.values()];
  seen.set(root.typeName, root);
  for (const field of root.fields) {
    if (field.message) reachableMessages(field.message, seen);
  }
  return [...seen.values()];
}

describe('aegis contract conventions', () => {
  let services: DescService[];
  let messages: DescMessage[];

  beforeAll(async () => {
    ({ services, messages } = await loadAegisDescriptors());
  });

  test('every service of every package was found', () => {
    const packages = new Set(services.map((s) => s.typeName.split('.').slice(0, 3).join('.')));
    expect([...packages].sort()).toEqual([
      'aegis.auth.v1',
      'aegis.billing.v1',
      'aegis.events.v1',
      'aegis.pii.v1',
      'aegis.policy.v1',
      'aegis.ratelimit.v1',
    ]);
  });

  test('every RPC declares its access rule', () => {
    const problems: string[] = [];
    for (const service of services) {
      for (const method of service.methods) {
        const name = `${service.typeName}.${method.name}`;
        if (!hasOption(method, access)) {
          problems.push(`${name}: no (aegis.common.v1.access) option`);
          continue;
        }
        const rule = getOption(method, access);
        if (rule.public && rule.permission !== '') problems.push(`${name}: public RPC names a permission`);
        if (rule.scope === AccessScope.PLATFORM && rule.permission === '') {
          problems.push(`${name}: platform RPC without a permission`);
        }
        if (rule.permission !== '' && !/^[a-z_]+:[a-z_]+$/.test(rule.permission)) {
          problems.push(`${name}: permission "${rule.permission}" is not resource:action`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('the RPC table of docs/contracts.md matches the contracts', async () => {
    const expected = services.flatMap((service) =>
      service.methods.map((method) => {
        const rule = getOption(method, access);
        const who = rule.public
          ? 'public'
          : `${rule.permission || 'authenticated'}${rule.scope === AccessScope.PLATFORM ? ' (platform)' : ''}`;
        const name = method.methodKind === 'server_streaming' ? `${method.name} (stream)` : method.name;
        return `| ${service.typeName.split('.')[1]} | ${service.name} | ${name} | ${who} |`;
      }),
    );
    const doc = await readFile(path.join(repoRoot, 'docs/contracts.md'), 'utf8');
    const documented = doc.split('\n').filter((line) => /^\| (auth|policy|ratelimit|pii|billing|events) \|/.test(line));
    expect({ missing: expected.filter((r) => !documented.includes(r)), extra: documented.filter((r) => !expected.includes(r)) })
      .toEqual({ missing: [], extra: [] });
  });

  test('every request is scoped by tenant_id (field 1) unless platform-wide', () => {
    const problems: string[] = [];
    for (const service of services) {
      for (const method of service.methods) {
        const input = method.input;
        if (UNSCOPED_REQUESTS.has(input.typeName)) continue;
        const tenant = input.fields.find((f) => f.name === 'tenant_id');
        if (!tenant || tenant.number !== 1 || tenant.fieldKind !== 'scalar' || tenant.scalar !== ScalarType.STRING) {
          problems.push(input.typeName);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('money and token counts are integers, never floats', () => {
    const problems: string[] = [];
    for (const message of messages) {
      for (const field of message.fields) {
        if (field.fieldKind !== 'scalar' && field.fieldKind !== 'list') continue;
        const scalar = field.fieldKind === 'scalar' ? field.scalar : field.listKind === 'scalar' ? field.scalar : undefined;
        const integral = scalar === ScalarType.INT64 || scalar === ScalarType.UINT64;
        if (/(_nanos|_tokens|nanos_per_million)$/.test(field.name) && !integral) {
          problems.push(`${message.typeName}.${field.name}`);
        }
        const floating = scalar === ScalarType.DOUBLE || scalar === ScalarType.FLOAT;
        if (floating && message.typeName.startsWith('aegis.billing.')) {
          problems.push(`${message.typeName}.${field.name} is floating point`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  // The audit hash chain re-serialises events, so every conforming protobuf
  // implementation must produce the same bytes: no maps (unordered), and
  // fields declared in field-number order (protobuf-es writes in declaration
  // order, Go and Java in number order).
  test('no map field is reachable from Event, so its binary form is deterministic for hashing', () => {
    const withMaps = reachableMessages(EventSchema)
      .flatMap((m) => m.fields.filter((f) => f.fieldKind === 'map').map((f) => `${m.typeName}.${f.name}`));
    expect(withMaps).toEqual([]);
  });

  test('messages reachable from Event declare fields in ascending number order', () => {
    const unordered = reachableMessages(EventSchema)
      .filter((m) => m.fields.some((f, i) => i > 0 && f.number < m.fields[i - 1]!.number))
      .map((m) => m.typeName);
    expect(unordered).toEqual([]);
  });
});
