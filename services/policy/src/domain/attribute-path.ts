import { TIME_ATTRIBUTE_NAMES, type TenantClock, type TimeAttributes } from './tenant-clock.js';
import type { DecisionRequest, JsonObject, JsonValue } from './types.js';

// Attribute paths of conditions (policy.proto): `user.` principal attributes plus user.id and
// user.roles; `data.` resource attributes plus data.kind and data.id; `time.` computed in the
// tenant's zone; `request.` ip and the request context. Nested objects are reached with more
// segments (`user.address.country`).

export const ATTRIBUTE_ROOTS: readonly string[] = ['user', 'data', 'time', 'request'];
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** Per-decision evaluation state; the time attributes are computed only if a condition asks. */
export interface EvalEnv {
  readonly request: DecisionRequest;
  readonly clock: TenantClock;
  time: TimeAttributes | undefined;
  /**
   * Set once a condition reads `time.*` or `request.*`, attributes that differ from one call
   * to the next for the same principal, action and resource: such a decision must not be
   * reused. Evaluation is deterministic in what it read, so a decision that never set this
   * comes out the same for any clock, client IP and request context.
   */
  readPerCall: boolean;
}

/** A fresh evaluation state for one decision. */
export function evalEnv(request: DecisionRequest, clock: TenantClock): EvalEnv {
  return { request, clock, time: undefined, readPerCall: false };
}

/** Reads one attribute; undefined when absent. */
export type AttributeGetter = (env: EvalEnv) => JsonValue | undefined;

/** Why a condition key is not a valid attribute path, or undefined. */
export function attributePathProblem(path: string): string | undefined {
  const segments = path.split('.');
  const root = segments[0] ?? '';
  if (!ATTRIBUTE_ROOTS.includes(root)) {
    return `attribute paths start with user., data., time. or request. (got "${path}")`;
  }
  if (segments.length < 2) return `"${path}" names no attribute after "${root}."`;
  for (const segment of segments.slice(1)) {
    if (!SEGMENT.test(segment)) return `"${segment}" is not a valid attribute name in "${path}"`;
  }
  if (root === 'time' && (segments.length !== 2 || !TIME_ATTRIBUTE_NAMES.includes(segments[1] ?? ''))) {
    return `unknown time attribute "${path}" (known: ${TIME_ATTRIBUTE_NAMES.map((n) => `time.${n}`).join(', ')})`;
  }
  return undefined;
}

/** Own properties only, so a path can never reach Object.prototype ("user.constructor"). */
function walk(value: JsonValue | undefined, segments: readonly string[], from: number): JsonValue | undefined {
  let current = value;
  for (let i = from; i < segments.length; i++) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    const key = segments[i] as string;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as JsonObject)[key];
  }
  return current;
}

function fromObject(pick: (env: EvalEnv) => JsonObject | undefined, segments: readonly string[]): AttributeGetter {
  if (segments.length === 2) {
    const key = segments[1] as string;
    return (env) => {
      const obj = pick(env);
      return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
    };
  }
  return (env) => walk(pick(env), segments, 1);
}

function timeAttribute(env: EvalEnv, name: string): JsonValue | undefined {
  env.readPerCall = true;
  const pinned = env.request.context.pinnedTime;
  if (pinned !== undefined && Object.hasOwn(pinned, name)) return pinned[name];
  env.time ??= env.clock.at(env.request.context.now);
  return env.time[name as keyof TimeAttributes];
}

/** Builds the reader of a valid path (see attributePathProblem). */
export function compileAttributePath(path: string): AttributeGetter {
  const segments = path.split('.');
  const root = segments[0];
  const first = segments[1] as string;
  const single = segments.length === 2;
  switch (root) {
    case 'user':
      if (single && first === 'id') return (env) => env.request.principal.id;
      if (single && first === 'roles') return (env) => env.request.principal.roles as JsonValue[];
      return fromObject((env) => env.request.principal.attributes, segments);
    case 'data':
      if (single && first === 'kind') return (env) => env.request.resource.kind;
      if (single && first === 'id') return (env) => env.request.resource.id;
      return fromObject((env) => env.request.resource.attributes, segments);
    case 'request':
      if (single && first === 'ip') return (env) => {
        env.readPerCall = true;
        return env.request.context.ip;
      };
      return fromObject((env) => {
        env.readPerCall = true;
        return env.request.context.attributes;
      }, segments);
    case 'time':
      return (env) => timeAttribute(env, first);
    default:
      throw new Error(`invalid attribute path "${path}" reached the compiler`);
  }
}
