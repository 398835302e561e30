import type { JsonValue } from '@bufbuild/protobuf';
import { jsonStrings, mapJsonStrings } from '../detection/index.js';
import type { ScanUnit } from '../dlp/index.js';

// Content as the engine sees it: the strings to scan, each with its JSON path ("" for text).
// The service and the SDK's local scan both cut content here, so both scan the same strings.

export const MAX_CONTENT_CHARS = 10 * 1024 * 1024;

export interface ContentUnits {
  kind: 'text' | 'json';
  json?: JsonValue;
  units: ScanUnit[];
}

/** Content over MAX_CONTENT_CHARS (for JSON: its strings together). */
export class ContentTooLargeError extends Error {
  constructor(readonly kind: 'text' | 'json') {
    super(kind === 'text' ? 'must be at most 10 MiB' : 'must hold at most 10 MiB of strings');
  }
}

export function textUnits(text: string): ContentUnits {
  if (text.length > MAX_CONTENT_CHARS) throw new ContentTooLargeError('text');
  return { kind: 'text', units: [{ path: '', text }] };
}

/** `json` as the contract's google.protobuf.Value carries it (proto3 JSON). */
export function jsonUnits(json: JsonValue): ContentUnits {
  const units = [...jsonStrings(json)];
  let total = 0;
  for (const unit of units) total += unit.text.length;
  if (total > MAX_CONTENT_CHARS) throw new ContentTooLargeError('json');
  return { kind: 'json', json, units };
}

/** The text, or the JSON document, with each unit's text replaced by `texts` (by path). */
export function rebuiltText(source: ContentUnits, texts: ReadonlyMap<string, string>): string {
  return texts.get('') ?? source.units[0]!.text;
}

export function rebuiltJson(source: ContentUnits, texts: ReadonlyMap<string, string>): JsonValue {
  return mapJsonStrings(source.json!, (path, text) => texts.get(path) ?? text);
}
