import type { CompiledPattern } from './custom-pattern.js';

/** What a tenant (and one request) adds to built-in detection. Immutable once built. */
export interface DetectionPolicy {
  /** Exact values never reported. */
  readonly allowList: ReadonlySet<string>;
  /** Exact values always reported, with their type. */
  readonly denyList: readonly { type: string; value: string }[];
  readonly patterns: readonly CompiledPattern[];
}

export const EMPTY_POLICY: DetectionPolicy = { allowList: new Set(), denyList: [], patterns: [] };

/** The tenant's policy with one request's additions. */
export function withRequestAdditions(base: DetectionPolicy, allowList: readonly string[], patterns: readonly CompiledPattern[]): DetectionPolicy {
  if (allowList.length === 0 && patterns.length === 0) return base;
  return {
    allowList: allowList.length === 0 ? base.allowList : new Set([...base.allowList, ...allowList]),
    denyList: base.denyList,
    patterns: [...base.patterns, ...patterns],
  };
}
