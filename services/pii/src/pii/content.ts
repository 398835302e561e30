import { fromJson, toJson } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import type { Content } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { invalidArgument } from '@aegis/shared';
import { ContentTooLargeError, jsonUnits, rebuiltJson, rebuiltText, textUnits, type ContentUnits } from '@aegis/pii-engine';

// Content as the domain sees it: the strings to scan, each with its JSON path ("" for text).
// The cutting itself is the engine's, shared with the SDK's local scan.

export { MAX_CONTENT_CHARS, type ContentUnits } from '@aegis/pii-engine';

export function contentUnits(content: Content | undefined, field = 'content'): ContentUnits {
  const kind = content?.kind;
  if (kind === undefined || kind.case === undefined) throw invalidArgument(field, 'must hold text or json');
  try {
    return kind.case === 'text' ? textUnits(kind.value) : jsonUnits(toJson(ValueSchema, kind.value));
  } catch (err) {
    if (err instanceof ContentTooLargeError) throw invalidArgument(`${field}.${err.kind}`, err.message);
    throw err;
  }
}

/** The same kind of content with each unit's text replaced by `texts` (by path). */
export function rebuildContent(source: ContentUnits, texts: ReadonlyMap<string, string>): Content['kind'] {
  if (source.kind === 'text') return { case: 'text', value: rebuiltText(source, texts) };
  return { case: 'json', value: fromJson(ValueSchema, rebuiltJson(source, texts)) };
}
