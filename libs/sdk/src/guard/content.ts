import { fromJson, toJson, type JsonValue, type MessageInitShape } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import type { Content, ContentSchema } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import type { GuardContent } from './types.js';

export function toContent(content: GuardContent): MessageInitShape<typeof ContentSchema> {
  if (typeof content === 'string') return { kind: { case: 'text', value: content } };
  return { kind: { case: 'json', value: fromJson(ValueSchema, content.json) } };
}

export function fromContent(content: Content | undefined, original: GuardContent): GuardContent {
  if (content?.kind.case === 'text') return content.kind.value;
  if (content?.kind.case === 'json') return { json: toJson(ValueSchema, content.kind.value) as JsonValue };
  return original;
}

/** The text a tokenizer counts: the text itself, or the JSON document as sent to a model. */
export function textOf(content: GuardContent): string {
  return typeof content === 'string' ? content : JSON.stringify(content.json);
}
