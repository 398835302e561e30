// Building, validating and (de)serialising aegis.events.v1 events.
export { newEventId } from './event-id.js';
export { createEvent } from './create-event.js';
export type { ActorInit, CreateEventInput, EventPayloadInit } from './create-event.js';
export { decodeEvent, encodeEvent, eventFromJson, eventToJson } from './codec.js';
export { InvalidEventError } from './invalid-event-error.js';
export { TOPICS, eventKey, topicForEvent } from './topics.js';
export type { Topic } from './topics.js';
export { assertValidEvent } from './validate.js';
