import { create, fromJson } from '@bufbuild/protobuf';
import { DurationSchema, type Duration } from '@bufbuild/protobuf/wkt';
import { Effect, PolicySchema, type Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import { ResourceLimitsSchema, RoleSchema, type ResourceLimits, type Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { entriesOf, fieldsOf, isPlainObject, readBoolean, readJsonObject, readString, readStringList, type Field } from './yaml-values.js';
import type { YamlPath, YamlSource } from './yaml-source.js';

// Draft roles and policies of a test file: the JSON form of Role and Policy (snake_case or
// camelCase names), listed, or keyed by name as in the Kaizen plan. Only the shape is checked
// here; the engine validates the content (permission syntax, operators, inheritance) exactly
// as a write would, and its violations are mapped back to these lines.

/** A draft with the place it was written. */
export interface SourcedDraft<T> {
  readonly draft: T;
  readonly path: YamlPath;
}

const ROLE_FIELDS = ['name', 'tenant_id', 'description', 'permissions', 'model_access', 'resource_limits', 'inherits'];
const POLICY_FIELDS = ['name', 'tenant_id', 'description', 'condition', 'actions', 'effect', 'enabled'];
const INTEGER_LIMITS = ['max_tokens_per_day', 'max_concurrent_agents', 'max_concurrent_executions', 'max_requests_per_minute', 'max_tokens_per_request', 'max_memory_mb'];
const LIMIT_FIELDS = [...INTEGER_LIMITS, 'max_execution_time', 'custom'];

export function readRoles(src: YamlSource, field: Field | undefined): SourcedDraft<Role>[] {
  return entriesOf(src, field).flatMap((entry) => {
    const fields = fieldsOf(src, entry.value, entry.path, ROLE_FIELDS);
    if (fields === undefined) return [];
    const name = entryName(src, fields.get('name'), entry);
    const draft = create(RoleSchema, {
      tenantId: readString(src, fields.get('tenant_id')) ?? '',
      name,
      description: readString(src, fields.get('description')) ?? '',
      permissions: readStringList(src, fields.get('permissions')),
      modelAccess: readStringList(src, fields.get('model_access')),
      resourceLimits: readLimits(src, fields.get('resource_limits')),
      inherits: readStringList(src, fields.get('inherits')),
    });
    return [{ draft, path: entry.path }];
  });
}

export function readPolicies(src: YamlSource, field: Field | undefined): SourcedDraft<Policy>[] {
  return entriesOf(src, field).flatMap((entry) => {
    const fields = fieldsOf(src, entry.value, entry.path, POLICY_FIELDS);
    if (fields === undefined) return [];
    const draft = create(PolicySchema, {
      tenantId: readString(src, fields.get('tenant_id')) ?? '',
      name: entryName(src, fields.get('name'), entry),
      description: readString(src, fields.get('description')) ?? '',
      condition: readJsonObject(src, fields.get('condition')) ?? {},
      actions: readStringList(src, fields.get('actions')),
      effect: readEffect(src, fields.get('effect')),
      // A file's draft is in force unless it says otherwise (the proto's bool defaults to false,
      // which would make every draft that omits it a silent no-op).
      enabled: readBoolean(src, fields.get('enabled')) ?? true,
    });
    return [{ draft, path: entry.path }];
  });
}

/** allow / deny, in any case, or the proto JSON names EFFECT_ALLOW / EFFECT_DENY. */
export function parseEffect(value: unknown): Effect | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.toUpperCase().replace(/^EFFECT_/, '');
  return name === 'ALLOW' ? Effect.ALLOW : name === 'DENY' ? Effect.DENY : undefined;
}

function readEffect(src: YamlSource, field: Field | undefined): Effect {
  if (field === undefined) return Effect.UNSPECIFIED; // the engine reports the missing effect
  const effect = parseEffect(field.value);
  if (effect === undefined) src.problem(field.path, 'must be allow or deny');
  return effect ?? Effect.UNSPECIFIED;
}

/** The key of a keyed entry is its name; a `name:` inside must then agree. */
function entryName(src: YamlSource, field: Field | undefined, entry: { path: YamlPath; key?: string }): string {
  const written = readString(src, field);
  if (entry.key === undefined) return written ?? '';
  if (written !== undefined && written !== entry.key) src.problem(field!.path, `must equal the key "${entry.key}" (or be left out)`);
  return entry.key;
}

function readLimits(src: YamlSource, field: Field | undefined): ResourceLimits | undefined {
  if (field === undefined || field.value === null) return undefined;
  const fields = fieldsOf(src, field.value, field.path, LIMIT_FIELDS);
  if (fields === undefined) return undefined;
  const limits = create(ResourceLimitsSchema);
  for (const name of INTEGER_LIMITS) {
    const value = readInteger(src, fields.get(name));
    if (value !== undefined) (limits as unknown as Record<string, bigint>)[camelCase(name)] = value;
  }
  limits.maxExecutionTime = readDuration(src, fields.get('max_execution_time'));
  const custom = fields.get('custom');
  if (custom !== undefined && custom.value !== null) {
    if (!isPlainObject(custom.value)) src.problem(custom.path, 'must be a mapping of limit name to whole number');
    else {
      for (const [name, item] of Object.entries(custom.value)) {
        const value = readInteger(src, { value: item, path: [...custom.path, name] });
        if (value !== undefined) limits.custom[name] = value;
      }
    }
  }
  return limits;
}

/** A whole number; the engine checks the range. */
function readInteger(src: YamlSource, field: Field | undefined): bigint | undefined {
  if (field === undefined) return undefined;
  if (typeof field.value === 'number' && Number.isSafeInteger(field.value)) return BigInt(field.value);
  if (typeof field.value === 'string' && /^-?\d+$/.test(field.value)) return BigInt(field.value);
  src.problem(field.path, 'must be a whole number');
  return undefined;
}

/** The proto JSON form of a Duration: seconds with an "s", e.g. "90s" or "1.5s". */
function readDuration(src: YamlSource, field: Field | undefined): Duration | undefined {
  if (field === undefined) return undefined;
  try {
    if (typeof field.value === 'string') return fromJson(DurationSchema, field.value);
  } catch {
    // reported below
  }
  src.problem(field.path, 'must be a duration in seconds, e.g. "90s"');
  return undefined;
}

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
