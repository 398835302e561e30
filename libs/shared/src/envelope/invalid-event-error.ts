/**
 * An event that cannot be produced or consumed: unparseable bytes or JSON,
 * or an envelope missing a required field. Consumers should park such a
 * message (dead-letter) rather than retry it: retrying cannot fix it.
 */
export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
