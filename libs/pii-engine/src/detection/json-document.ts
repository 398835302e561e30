import type { JsonValue } from '@bufbuild/protobuf';

// JSON documents are scanned string value by string value; each string is named by its RFC 9535
// normalized path, e.g. $['customer']['emails'][0]. Object keys, numbers and booleans are not scanned.

export interface JsonString {
  path: string;
  text: string;
}

export function* jsonStrings(value: JsonValue, path = '$'): Generator<JsonString> {
  if (typeof value === 'string') yield { path, text: value };
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* jsonStrings(value[i]!, `${path}[${i}]`);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) yield* jsonStrings(child as JsonValue, `${path}[${normalizedName(key)}]`);
  }
}

/** A copy of `value` with each string replaced by `replace(path, string)`. */
export function mapJsonStrings(value: JsonValue, replace: (path: string, text: string) => string, path = '$'): JsonValue {
  if (typeof value === 'string') return replace(path, value);
  if (Array.isArray(value)) return value.map((child, i) => mapJsonStrings(child, replace, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [key, child] of Object.entries(value)) out[key] = mapJsonStrings(child as JsonValue, replace, `${path}[${normalizedName(key)}]`);
    return out;
  }
  return value;
}

/** RFC 9535 section 2.7: a member name in single quotes with ', \ and controls escaped. */
export function normalizedName(name: string): string {
  let out = "'";
  for (const ch of name) {
    const code = ch.charCodeAt(0);
    if (ch === "'") out += "\\'";
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}
