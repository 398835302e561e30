import { hasContext } from './context.js';
import { patternMatches } from './custom-pattern.js';
import type { DetectionPolicy } from './detection-policy.js';
import { BUILTIN_TYPES, type Candidate, type Finding } from './finding.js';
import { RECOGNIZERS } from './recognizers/index.js';

export interface DetectOptions {
  /** Only these types (built-in or pattern names); empty: all. */
  types?: readonly string[];
  /** Default 0.5. */
  minScore?: number;
  /** Default "US". */
  defaultRegion?: string;
}

export const DEFAULT_MIN_SCORE = 0.5;

/**
 * The plan's PIIDetector: built-in recognizers, the tenant's patterns and deny-list, context
 * words, the allow-list, then one finding per span (overlaps go to the higher score, then the
 * longer match). Pure: same input, same findings.
 */
export function detect(text: string, policy: DetectionPolicy, options: DetectOptions = {}): Finding[] {
  if (text.length === 0) return [];
  const wanted = options.types !== undefined && options.types.length > 0 ? new Set(options.types) : undefined;
  const minScore = options.minScore !== undefined && options.minScore > 0 ? options.minScore : DEFAULT_MIN_SCORE;
  const region = options.defaultRegion || 'US';
  const candidates: Candidate[] = [];
  const recognizerOptions = { defaultRegion: region, minScore };
  for (const type of BUILTIN_TYPES) {
    if (wanted !== undefined && !wanted.has(type)) continue;
    for (const c of RECOGNIZERS.get(type)!.find(text, recognizerOptions)) candidates.push(c);
  }
  for (const pattern of policy.patterns) {
    if (wanted !== undefined && !wanted.has(pattern.name)) continue;
    for (const span of patternMatches(pattern.regex, text)) {
      candidates.push({ type: pattern.name, ...span, score: pattern.score, detector: `custom:${pattern.name}`, contextWords: pattern.contextWords, contextBoost: 0.3 });
    }
  }
  for (const entry of policy.denyList) {
    if (wanted !== undefined && !wanted.has(entry.type)) continue;
    for (let at = text.indexOf(entry.value); at >= 0 && entry.value !== ''; at = text.indexOf(entry.value, at + entry.value.length)) {
      candidates.push({ type: entry.type, start: at, end: at + entry.value.length, score: 1, detector: 'deny_list' });
    }
  }
  const scored: Finding[] = [];
  for (const c of candidates) {
    let { score, detector } = c;
    if (c.contextBoost !== undefined && c.contextWords !== undefined && hasContext(text, c.start, c.end, c.contextWords, c.contextWindow, c.contextWindowAfter)) {
      score = Math.min(1, score + c.contextBoost);
      detector += '+context';
    }
    if (score < minScore) continue;
    if (policy.allowList.size > 0 && policy.allowList.has(text.slice(c.start, c.end))) continue;
    scored.push({ type: c.type, start: c.start, end: c.end, score: round(score), detector });
  }
  return resolveOverlaps(scored);
}

export function hasPii(text: string, policy: DetectionPolicy, options: DetectOptions = {}): boolean {
  return detect(text, policy, options).length > 0;
}

/** One finding per span, by position: of overlapping findings the higher score (then the longer) wins. */
export function resolveOverlaps(findings: Finding[]): Finding[] {
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Finding[] = [];
  for (const f of findings) {
    const last = kept[kept.length - 1];
    if (last === undefined || f.start >= last.end) kept.push(f);
    else if (better(f, last)) kept[kept.length - 1] = f;
  }
  return kept;
}

function better(a: Finding, b: Finding): boolean {
  if (a.score !== b.score) return a.score > b.score;
  return a.end - a.start > b.end - b.start;
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}
