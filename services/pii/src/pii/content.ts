import { fromJson, toJson, type JsonValue } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import type { Content } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { invalidArgument } from '@aegis/shared';
import { jsonStrings, mapJsonStrings } from '../domain/detection/index.js';
import type { ScanUnit } from '../domain/dlp/index.js';

// Content as the domain sees it: the strings to scan, each with its JSON path ("" for text).

export const MAX_CONTENT_CHARS = 10 * 1024 * 1024;

export interface ContentUnits {
  kind: 'text' | 'json';
  json?: JsonValue;
  units: ScanUnit[];
}

export function contentUnits(content: Content | undefined, field = 'content'): ContentUnits {
  const kind = content?.kind;
  if (kind === undefined || kind.case === undefined) throw invalidArgument(field, 'must hold text or json');
  if (kind.case === 'text') {
    if (kind.value.length > MAX_CONTENT_CHARS) throw invalidArgument(`${field}.text`, 'must be at most 10 MiB');
    return { kind: 'text', units: [{ path: '', text: kind.value }] };
  }
  const json = toJson(ValueSchema, kind.value);
  const units = [...jsonStrings(json)];
  let total = 0;
  for (const unit of units) total += unit.text.length;
  if (total > MAX_CONTENT_CHARS) throw invalidArgument(`${field}.json`, 'must hold at most 10 MiB of strings');
  return { kind: 'json', json, units };
}

/** The same kind of content with each unit's text replaced by `texts` (by path). */
export function rebuildContent(source: ContentUnits, texts: ReadonlyMap<string, string>): Content['kind'] {
  if (source.kind === 'text') return { case: 'text', value: texts.get('') ?? source.units[0]!.text };
  const json = mapJsonStrings(source.json!, (path, text) => texts.get(path) ?? text);
  return { case: 'json', value: fromJson(ValueSchema, json) };
}
