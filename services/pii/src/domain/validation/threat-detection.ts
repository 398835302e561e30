import { findInvisible } from './invisible-characters.js';
import { THREAT_RULES, type ThreatKind } from './threat-rules.js';

export interface ThreatSignal {
  kind: ThreatKind;
  confidence: number;
  /** The matched excerpt, at most 200 characters. */
  evidence: string;
  start: number;
  end: number;
  rule: string;
}

const MAX_EVIDENCE = 200;

/** Signals at or above `threshold`, by position; `kinds` empty means all. */
export function detectThreats(text: string, kinds: readonly ThreatKind[] = [], threshold = 0.5): ThreatSignal[] {
  const wanted = kinds.length > 0 ? new Set(kinds) : undefined;
  const signals: ThreatSignal[] = [];
  for (const rule of THREAT_RULES) {
    if (wanted !== undefined && !wanted.has(rule.kind)) continue;
    if (rule.confidence < threshold) continue;
    for (const m of text.matchAll(rule.pattern)) {
      signals.push({ kind: rule.kind, confidence: rule.confidence, evidence: m[0].slice(0, MAX_EVIDENCE), start: m.index, end: m.index + m[0].length, rule: rule.id });
    }
  }
  // Text hidden in the Unicode tag block reads as nothing to a person and as words to a model.
  if (wanted === undefined || wanted.has('prompt_injection')) {
    const hidden = findInvisible(text).filter((c) => c.codePoint >= 0xe0000 && c.codePoint <= 0xe007f);
    if (hidden.length > 0 && 0.75 >= threshold) {
      const first = hidden[0]!;
      const last = hidden[hidden.length - 1]!;
      signals.push({ kind: 'prompt_injection', confidence: 0.75, evidence: `${hidden.length} hidden tag characters`, start: first.offset, end: last.offset + 2, rule: 'prompt.hidden_tag_text' });
    }
  }
  return signals.sort((a, b) => a.start - b.start || b.confidence - a.confidence);
}
