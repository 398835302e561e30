import { toJson, type DescMessage, type MessageShape } from '@bufbuild/protobuf';

/**
 * --json prints messages in the protobuf JSON mapping (camelCase names, enum value names,
 * int64 and money nanos as strings so nothing is rounded), with every field present: the
 * shape is the API's own, stable as the protos are.
 */
export function messageJson<D extends DescMessage>(schema: D, message: MessageShape<D>): unknown {
  return toJson(schema, message, { alwaysEmitImplicit: true });
}

export function messagesJson<D extends DescMessage>(schema: D, messages: readonly MessageShape<D>[]): unknown[] {
  return messages.map((m) => messageJson(schema, m));
}
