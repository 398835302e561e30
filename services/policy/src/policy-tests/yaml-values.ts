import type { JsonObject, JsonValue } from '../domain/index.js';
import { snakeCase, type YamlPath, type YamlSource } from './yaml-source.js';

// Typed reads of a YAML file's plain value. Each reports what it rejects on the source, with
// the field's path, and returns undefined, so one pass finds every problem of a file.

/** A field of a mapping, under its canonical (snake_case) name, with the path it was written at. */
export interface Field {
  readonly value: unknown;
  readonly path: YamlPath;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The fields of a mapping, by canonical name. Unknown fields are problems (a typo must not
 * silently drop an expectation); so is a field spelled both ways (`model_access`, `modelAccess`).
 */
export function fieldsOf(src: YamlSource, value: unknown, path: YamlPath, known: readonly string[]): Map<string, Field> | undefined {
  if (!isPlainObject(value)) {
    src.problem(path, 'must be a mapping');
    return undefined;
  }
  const fields = new Map<string, Field>();
  for (const [key, item] of Object.entries(value)) {
    const name = snakeCase(key);
    if (!known.includes(name)) src.problem([...path, key], `unknown field (expected ${known.join(', ')})`);
    else if (fields.has(name)) src.problem([...path, key], `${name} is given twice`);
    else fields.set(name, { value: item, path: [...path, key] });
  }
  return fields;
}

export function readString(src: YamlSource, field: Field | undefined, opts: { required?: boolean } = {}): string | undefined {
  if (field === undefined || field.value === null) return undefined;
  if (typeof field.value === 'string' && (field.value.trim() !== '' || opts.required !== true)) return field.value;
  src.problem(field.path, opts.required === true ? 'must be a non-empty string' : 'must be a string');
  return undefined;
}

export function readBoolean(src: YamlSource, field: Field | undefined): boolean | undefined {
  if (field === undefined) return undefined;
  if (typeof field.value === 'boolean') return field.value;
  src.problem(field.path, 'must be true or false');
  return undefined;
}

export function readStringList(src: YamlSource, field: Field | undefined): string[] {
  if (field === undefined || field.value === null) return [];
  if (!Array.isArray(field.value)) {
    src.problem(field.path, 'must be a list of strings');
    return [];
  }
  return field.value.flatMap((item: unknown, i) => {
    if (typeof item === 'string') return [item];
    src.problem([...field.path, i], 'must be a string');
    return [];
  });
}

/** A mapping of JSON values (attributes, conditions, context): what a protobuf Struct can hold. */
export function readJsonObject(src: YamlSource, field: Field | undefined): JsonObject | undefined {
  if (field === undefined || field.value === null) return undefined;
  if (!isPlainObject(field.value)) {
    src.problem(field.path, 'must be a mapping');
    return undefined;
  }
  return jsonValue(src, field.value, field.path) as JsonObject | undefined;
}

function jsonValue(src: YamlSource, value: unknown, path: YamlPath): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    src.problem(path, 'must be a finite number');
    return undefined;
  }
  if (Array.isArray(value)) {
    const items = value.map((item: unknown, i) => jsonValue(src, item, [...path, i]));
    return items.every((item) => item !== undefined) ? (items as JsonValue[]) : undefined;
  }
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    let ok = true;
    for (const [key, item] of Object.entries(value)) {
      const converted = jsonValue(src, item, [...path, key]);
      if (converted === undefined) ok = false;
      else out[key] = converted;
    }
    return ok ? out : undefined;
  }
  src.problem(path, 'must be a JSON value (string, number, true/false, null, list or mapping)');
  return undefined;
}

/** A list, or a mapping keyed by name (the Kaizen style: `roles: {ai_analyst: {...}}`). */
export function entriesOf(src: YamlSource, field: Field | undefined): { value: unknown; path: YamlPath; key?: string }[] {
  if (field === undefined || field.value === null) return [];
  if (Array.isArray(field.value)) return field.value.map((value: unknown, i) => ({ value, path: [...field.path, i] }));
  if (isPlainObject(field.value)) return Object.entries(field.value).map(([key, value]) => ({ value, path: [...field.path, key], key }));
  src.problem(field.path, 'must be a list, or a mapping of name to definition');
  return [];
}
