import type { JsonValue } from './types.js';

// Value semantics of the condition operators, kept apart from parsing so they can be read
// (and tested) on their own.

/** Classification and clearance levels, lowest first. */
export const LEVELS: readonly string[] = ['public', 'internal', 'confidential', 'restricted'];
const LEVEL_RANK = new Map(LEVELS.map((level, rank) => [level, rank]));

export type Scalar = string | number | boolean | null;

export function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * Orders `actual` against `expected`: negative, zero or positive, or undefined when they are
 * not comparable (then every ordered operator is false).
 *
 * Against a level name, an actual value that is missing or not a level counts as below
 * `public`. That keeps the Kaizen policies safe for principals and data that lack the
 * attribute: `clearance_level $lt confidential` (a deny) applies to a user without a
 * clearance, and `clearance_level $gte confidential` (an allow) does not.
 */
export function compareOrdered(actual: JsonValue | undefined, expected: string | number): number | undefined {
  if (typeof expected === 'string') {
    const expectedRank = LEVEL_RANK.get(expected);
    if (expectedRank !== undefined) {
      const actualRank = typeof actual === 'string' ? LEVEL_RANK.get(actual) : undefined;
      return (actualRank ?? -1) - expectedRank;
    }
    if (typeof actual !== 'string') return undefined;
    return actual < expected ? -1 : actual > expected ? 1 : 0;
  }
  return typeof actual === 'number' ? actual - expected : undefined;
}

/** Equality; an array attribute (e.g. user.roles) equals a scalar it contains. */
export function matchesEqual(actual: JsonValue | undefined, expected: Scalar): boolean {
  if (Array.isArray(actual)) {
    for (const item of actual) if (item === expected) return true;
    return false;
  }
  return actual === expected;
}

/** Membership; an array attribute is a member when any element is. */
export function matchesIn(actual: JsonValue | undefined, allowed: ReadonlySet<Scalar>): boolean {
  if (actual === undefined) return false;
  if (Array.isArray(actual)) {
    for (const item of actual) if (isScalar(item) && allowed.has(item)) return true;
    return false;
  }
  return isScalar(actual) && allowed.has(actual);
}

/** Renders a value for an explanation: strings bare, missing as "missing". */
export function renderValue(value: JsonValue | undefined): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map((v) => renderValue(v)).join(', ')}]`;
  return JSON.stringify(value);
}
