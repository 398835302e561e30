// Wire forms of an event: binary protobuf on Kafka, canonical protobuf JSON
// for webhooks, logs and consumers in other languages.
import { fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { EventSchema } from '@aegis/proto/aegis/events/v1/event_pb.js';
import type { Event } from '@aegis/proto/aegis/events/v1/event_pb.js';
import { InvalidEventError } from './invalid-event-error.js';
import { assertValidEvent } from './validate.js';

/** Binary protobuf, the Kafka message value. Refuses an invalid envelope. */
export function encodeEvent(event: Event): Uint8Array {
  assertValidEvent(event);
  return toBinary(EventSchema, event);
}

/**
 * Parses a Kafka message value. Fields unknown to this schema version are
 * kept (and re-serialised), so newer producers do not break older consumers.
 */
export function decodeEvent(bytes: Uint8Array): Event {
  let event: Event;
  try {
    event = fromBinary(EventSchema, bytes);
  } catch (cause) {
    throw new InvalidEventError('bytes are not an aegis.events.v1.Event', { cause });
  }
  assertValidEvent(event);
  return event;
}

/** Canonical protobuf JSON: lowerCamel names, int64 as strings, enums by name, bytes as base64. */
export function eventToJson(event: Event): JsonObject {
  return toJson(EventSchema, event) as JsonObject;
}

/** Parses canonical JSON (an object or its text); unknown fields are ignored. */
export function eventFromJson(json: JsonValue | string): Event {
  let event: Event;
  try {
    const value: JsonValue = typeof json === 'string' ? (JSON.parse(json) as JsonValue) : json;
    event = fromJson(EventSchema, value, { ignoreUnknownFields: true });
  } catch (cause) {
    throw new InvalidEventError('JSON is not an aegis.events.v1.Event', { cause });
  }
  assertValidEvent(event);
  return event;
}
