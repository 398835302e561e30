import { RE2JS } from 're2js';
import { isBuiltinType } from './finding.js';

// Tenant and request patterns run on RE2's automata (linear time, no backreferences or
// lookaround): a pattern written by a customer cannot hang the service however it is written.
// `re2js` is RE2 ported to JavaScript: no native addon to compile at install time, and offsets
// are UTF-16 code units like the rest of detection.

export interface CustomPatternSpec {
  name: string;
  regex: string;
  /** 0 means 0.6. */
  score?: number;
  contextWords?: readonly string[];
}

export interface CompiledPattern {
  readonly name: string;
  readonly regex: RE2JS;
  readonly score: number;
  readonly contextWords: readonly string[];
}

export const PATTERN_NAME = /^[a-z0-9_]{1,63}$/;
export const MAX_PATTERN_LENGTH = 1000;
const DEFAULT_SCORE = 0.6;

export class PatternError extends Error {
  constructor(readonly field: 'name' | 'regex' | 'score', message: string) {
    super(message);
  }
}

/** Compiles a pattern or explains what is wrong with it (PatternError names the field). */
export function compilePattern(spec: CustomPatternSpec): CompiledPattern {
  if (!PATTERN_NAME.test(spec.name)) throw new PatternError('name', 'must be 1-63 of [a-z0-9_]');
  if (isBuiltinType(spec.name)) throw new PatternError('name', `"${spec.name}" is a built-in type`);
  return { name: spec.name, regex: compileRegex(spec.regex), score: patternScore(spec.score), contextWords: (spec.contextWords ?? []).map((w) => w.toLowerCase()) };
}

export function compileRegex(source: string): RE2JS {
  if (source === '') throw new PatternError('regex', 'must not be empty');
  if (source.length > MAX_PATTERN_LENGTH) throw new PatternError('regex', `must be at most ${MAX_PATTERN_LENGTH} characters`);
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(source);
  } catch (err) {
    throw new PatternError('regex', `is not a valid RE2 pattern: ${(err as Error).message}`);
  }
  if (regex.matcher('').find()) throw new PatternError('regex', 'must not match the empty string');
  return regex;
}

function patternScore(score: number | undefined): number {
  if (score === undefined || score === 0) return DEFAULT_SCORE;
  if (!(score > 0 && score <= 1)) throw new PatternError('score', 'must be in (0, 1]');
  return score;
}

/** Every non-empty match of `regex` in `text`, left to right, with UTF-16 offsets. */
export function* patternMatches(regex: RE2JS, text: string): Generator<{ start: number; end: number }> {
  const matcher = regex.matcher(text);
  while (matcher.find()) {
    const start = matcher.start();
    const end = matcher.end();
    if (end > start) yield { start, end };
  }
}
