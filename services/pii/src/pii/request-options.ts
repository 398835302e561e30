import type { DetectionOptions } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { invalidArgument } from '@aegis/shared';
import { compilePattern, isBuiltinType, isSupportedRegion, PatternError, withRequestAdditions, type CompiledPattern, type DetectionPolicy, type DetectOptions } from '@aegis/pii-engine';

export interface RequestDetection {
  policy: DetectionPolicy;
  options: DetectOptions;
}

const MAX_REQUEST_PATTERNS = 50;

/** Validates one request's detection options against the tenant's policy and merges them in. */
export function requestDetection(tenantPolicy: DetectionPolicy, options: DetectionOptions | undefined, field = 'options'): RequestDetection {
  if (options === undefined) return { policy: tenantPolicy, options: {} };
  if (!(options.minScore >= 0 && options.minScore <= 1)) throw invalidArgument(`${field}.min_score`, 'must be within 0-1');
  if (options.defaultRegion !== '' && !isSupportedRegion(options.defaultRegion)) throw invalidArgument(`${field}.default_region`, 'must be an ISO 3166 region code such as "US" or "GB"');
  if (options.patterns.length > MAX_REQUEST_PATTERNS) throw invalidArgument(`${field}.patterns`, `at most ${MAX_REQUEST_PATTERNS}`);
  const patterns: CompiledPattern[] = options.patterns.map((p, i) => {
    try {
      return compilePattern({ name: p.name, regex: p.regex, score: p.score, contextWords: p.contextWords });
    } catch (err) {
      if (err instanceof PatternError) throw invalidArgument(`${field}.patterns[${i}].${err.field}`, err.message);
      throw err;
    }
  });
  const policy = withRequestAdditions(tenantPolicy, options.allowList, patterns);
  const known = new Set(policy.patterns.map((p) => p.name));
  options.types.forEach((type, i) => {
    if (!isBuiltinType(type) && !known.has(type)) throw invalidArgument(`${field}.types[${i}]`, `"${type}" is neither a built-in type nor a custom pattern`);
  });
  return {
    policy,
    options: { types: options.types, ...(options.minScore > 0 ? { minScore: options.minScore } : {}), ...(options.defaultRegion !== '' ? { defaultRegion: options.defaultRegion } : {}) },
  };
}
