import { detect, patternMatches, resolveOverlaps, type DetectionPolicy, type DetectOptions, type Finding } from '../detection/index.js';
import { maskValue, redactor, replaceSpans } from '../transformation/index.js';
import type { CompiledDlp, CompiledRule } from './compiled-dlp.js';
import { ACTION_PRECEDENCE, type DlpAction, type Direction } from './dlp-config.js';

/** One string to scan: the text, or one string of a JSON document (with its path). */
export interface ScanUnit {
  path: string;
  text: string;
}

export interface ScanFinding extends Finding {
  path: string;
  /** Set when a MASK or REDACT rule replaced it. */
  replacement?: string;
  /** The rules it matched. */
  rules: string[];
  /** The value itself, for keyed hashing in audit events; never returned to callers. */
  value: string;
}

export interface RuleMatch {
  rule: string;
  action: DlpAction;
  alert: boolean;
  count: number;
}

export interface ScanOutcome {
  skipped: boolean;
  allowed: boolean;
  blockingRule: string;
  /** Transformed units (empty when blocked). */
  units: ScanUnit[];
  findings: ScanFinding[];
  matchedRules: RuleMatch[];
}

export interface ScanInput {
  dlp: CompiledDlp;
  /** The tenant's detection policy with the request's additions. */
  policy: DetectionPolicy;
  units: readonly ScanUnit[];
  direction: Direction;
  options: DetectOptions;
}

/**
 * Kaizen's DLP check: detect, match rules, then block (first BLOCK rule by name), or replace
 * the spans of REDACT and MASK rules (REDACT wins where they overlap) and report. LOG rules
 * only report.
 */
export function scan(input: ScanInput): ScanOutcome {
  const { dlp, direction } = input;
  const scanned = direction === 'input' ? dlp.settings.scanInputs : dlp.settings.scanOutputs;
  if (!scanned) return { skipped: true, allowed: true, blockingRule: '', units: [...input.units], findings: [], matchedRules: [] };
  const rules = dlp.rules.filter((r) => r.directions.has(direction));
  // Detect down to the lowest threshold any rule asks for; report what meets the request's.
  const requestMin = input.options.minScore !== undefined && input.options.minScore > 0 ? input.options.minScore : 0.5;
  const detectMin = Math.min(requestMin, ...rules.map((r) => r.minScore));
  const findings: ScanFinding[] = [];
  const counts = new Map<string, number>();
  for (const unit of input.units) {
    const found: Finding[] = detect(unit.text, input.policy, { ...input.options, minScore: detectMin });
    for (const rule of rules) {
      if (rule.pattern === undefined) continue;
      for (const span of patternMatches(rule.pattern, unit.text)) found.push({ type: rule.name, ...span, score: 1, detector: `rule:${rule.name}` });
    }
    for (const f of found) {
      const matched = rules.filter((r) => ruleMatches(r, f));
      if (matched.length === 0 && f.score < requestMin) continue;
      for (const r of matched) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
      findings.push({ ...f, path: unit.path, rules: matched.map((r) => r.name), value: unit.text.slice(f.start, f.end) });
    }
  }
  const matchedRules = rules.filter((r) => counts.has(r.name)).map((r) => ({ rule: r.name, action: r.action, alert: r.alert, count: counts.get(r.name)! }));
  const blocking = matchedRules.find((m) => m.action === 'block');
  if (blocking !== undefined) return { skipped: false, allowed: false, blockingRule: blocking.rule, units: [], findings: sortFindings(findings), matchedRules };
  const actionOf = new Map(rules.map((r) => [r.name, r.action]));
  const redact = redactor(dlp.settings.redactionStyle);
  const units = input.units.map((unit) => {
    // The strongest action of each finding's rules; REDACT beats MASK on overlapping spans.
    const transforming = findings
      .filter((f) => f.path === unit.path)
      .map((f) => ({ f, action: strongest(f.rules.map((name) => actionOf.get(name)!)) }))
      .filter((x) => x.action === 'redact' || x.action === 'mask');
    if (transforming.length === 0) return unit;
    const byFinding = new Map<Finding, { f: ScanFinding; action: DlpAction }>();
    const spans = resolveOverlaps(transforming.map((x) => {
      const span: Finding = { ...x.f, score: ACTION_PRECEDENCE[x.action!] };
      byFinding.set(span, x as { f: ScanFinding; action: DlpAction });
      return span;
    }));
    const { text } = replaceSpans(unit.text, spans, (span, value) => {
      const { f, action } = byFinding.get(span)!;
      const replacement = action === 'redact' ? redact(f, value) : maskValue(f.type, value);
      f.replacement = replacement;
      return replacement;
    });
    return { path: unit.path, text };
  });
  return { skipped: false, allowed: true, blockingRule: '', units, findings: sortFindings(findings), matchedRules };
}

function ruleMatches(rule: CompiledRule, f: Finding): boolean {
  if (rule.pattern !== undefined) return f.type === rule.name && f.detector === `rule:${rule.name}`;
  return f.type === rule.type && f.score >= rule.minScore;
}

function strongest(actions: DlpAction[]): DlpAction | undefined {
  let best: DlpAction | undefined;
  for (const a of actions) if (best === undefined || ACTION_PRECEDENCE[a] > ACTION_PRECEDENCE[best]) best = a;
  return best;
}

function sortFindings(findings: ScanFinding[]): ScanFinding[] {
  return findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.start - b.start));
}
