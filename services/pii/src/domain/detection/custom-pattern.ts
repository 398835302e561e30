import RE2 from 're2';
import { isBuiltinType } from './finding.js';

// Tenant and request patterns run on RE2 (linear time, no backreferences or lookaround): a
// pattern written by a customer cannot hang the service however it is written.

export interface CustomPatternSpec {
  name: string;
  regex: string;
  /** 0 means 0.6. */
  score?: number;
  contextWords?: readonly string[];
}

export interface CompiledPattern {
  readonly name: string;
  readonly regex: RE2;
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

export function compileRegex(source: string): RE2 {
  if (source === '') throw new PatternError('regex', 'must not be empty');
  if (source.length > MAX_PATTERN_LENGTH) throw new PatternError('regex', `must be at most ${MAX_PATTERN_LENGTH} characters`);
  let regex: RE2;
  try {
    regex = new RE2(source, 'gu');
  } catch (err) {
    throw new PatternError('regex', `is not a valid RE2 pattern: ${(err as Error).message}`);
  }
  if (regex.test('')) throw new PatternError('regex', 'must not match the empty string');
  return regex;
}

function patternScore(score: number | undefined): number {
  if (score === undefined || score === 0) return DEFAULT_SCORE;
  if (!(score > 0 && score <= 1)) throw new PatternError('score', 'must be in (0, 1]');
  return score;
}

/** Every non-empty match of `regex` in `text`, with UTF-16 offsets (re2 maps them for strings). */
export function* patternMatches(regex: RE2, text: string): Generator<{ start: number; end: number }> {
  regex.lastIndex = 0;
  for (;;) {
    const m = regex.exec(text);
    if (m === null) return;
    if (m[0].length === 0) {
      regex.lastIndex = m.index + 1;
      continue;
    }
    yield { start: m.index, end: m.index + m[0].length };
  }
}
