import { uuidv7 } from 'uuidv7';

/**
 * A new event id: a UUIDv7, so ids sort by creation time (handy for the
 * audit sink's primary key) and stay unique across producers without
 * coordination. Ids from one process are strictly increasing.
 */
export function newEventId(): string {
  return uuidv7();
}
