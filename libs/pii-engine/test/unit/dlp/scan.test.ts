import { EMPTY_POLICY } from '../../../src/detection/index.js';
import { compileDlp, defaultSettings, validateRule, validateSettings, DlpValidationError, scan, type DlpRuleSpec } from '../../../src/dlp/index.js';

function rule(name: string, partial: Partial<DlpRuleSpec>): DlpRuleSpec {
  return { tenantId: 't', name, description: '', match: { kind: 'type', type: 'email' }, action: 'log', alert: false, minScore: 0, directions: [], enabled: true, version: 1n, updatedBy: 'u', ...partial };
}

function run(rules: DlpRuleSpec[], text: string, direction: 'input' | 'output' = 'input', settings = defaultSettings('t')) {
  const dlp = compileDlp(settings, rules);
  return scan({ dlp, policy: dlp.policy, units: [{ path: '', text }], direction, options: {} });
}

const TEXT = 'card 4111 1111 1111 1111, ssn 536-90-4399, mail a@x.io';

test('no rules: allowed, unchanged, findings reported', () => {
  const out = run([], TEXT);
  expect(out).toMatchObject({ allowed: true, skipped: false, matchedRules: [] });
  expect(out.units[0]!.text).toBe(TEXT);
  expect(out.findings.map((f) => f.type)).toEqual(['credit_card', 'ssn', 'email']);
});

test('Kaizen\'s example: block cards (alert), mask SSNs, log e-mails', () => {
  const rules = [
    rule('credit_card_detection', { match: { kind: 'pattern', pattern: '\\b\\d{4}[- ]?\\d{4}[- ]?\\d{4}[- ]?\\d{4}\\b' }, action: 'block', alert: true }),
    rule('ssn_detection', { match: { kind: 'type', type: 'ssn' }, action: 'mask', alert: true }),
    rule('email_detection', { action: 'log' }),
  ];
  const blocked = run(rules, TEXT);
  expect(blocked).toMatchObject({ allowed: false, blockingRule: 'credit_card_detection', units: [] });
  expect(blocked.matchedRules.map((m) => [m.rule, m.action, m.count])).toEqual([['credit_card_detection', 'block', 1], ['email_detection', 'log', 1], ['ssn_detection', 'mask', 1]]);
  const masked = run(rules, 'ssn 536-90-4399, mail a@x.io');
  expect(masked.allowed).toBe(true);
  expect(masked.units[0]!.text).toBe('ssn ***-**-4399, mail a@x.io');
  expect(masked.findings.find((f) => f.type === 'ssn')!.replacement).toBe('***-**-4399');
});

test('REDACT wins over MASK on the same span, in the tenant\'s style', () => {
  const settings = { ...defaultSettings('t'), redactionStyle: 'type' as const };
  const out = run([rule('m', { action: 'mask' }), rule('r', { match: { kind: 'pattern', pattern: '[a-z]@x\\.io' }, action: 'redact' })], 'mail a@x.io', 'input', settings);
  expect(out.units[0]!.text).toBe('mail <R>');
});

test('directions: rules and scanning per direction', () => {
  const onlyOutput = [rule('b', { action: 'block', directions: ['output'] })];
  expect(run(onlyOutput, 'a@x.io', 'input').allowed).toBe(true);
  expect(run(onlyOutput, 'a@x.io', 'output').allowed).toBe(false);
  const out = run(onlyOutput, 'a@x.io', 'output', { ...defaultSettings('t'), scanOutputs: false });
  expect(out).toMatchObject({ skipped: true, allowed: true, findings: [] });
});

test('disabled rules and rule min scores', () => {
  expect(run([rule('b', { action: 'block', enabled: false })], 'a@x.io').allowed).toBe(true);
  // A bare 9-digit SSN scores 0.3: a rule asking for 0.2 sees it, the default 0.5 does not.
  expect(run([rule('b', { match: { kind: 'type', type: 'ssn' }, action: 'block', minScore: 0.2 })], 'id 536904399').allowed).toBe(false);
  expect(run([rule('b', { match: { kind: 'type', type: 'ssn' }, action: 'block' })], 'id 536904399').allowed).toBe(true);
});

test('validation names the field', () => {
  const bad = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      return (err as DlpValidationError).field;
    }
    return undefined;
  };
  expect(bad(() => validateRule(rule('Bad-Name', {}), new Set()))).toBe('rule.name');
  expect(bad(() => validateRule(rule('r', { match: { kind: 'type', type: 'passport' } }), new Set()))).toBe('rule.pii_type');
  expect(bad(() => validateRule(rule('r', { match: { kind: 'type', type: 'passport' } }), new Set(['passport'])))).toBeUndefined();
  expect(bad(() => validateRule(rule('r', { match: { kind: 'pattern', pattern: '(?<=x)y' } }), new Set()))).toBe('rule.pattern');
  expect(bad(() => validateSettings({ ...defaultSettings('t'), customPatterns: [{ name: 'ok', regex: 'a' }, { name: 'p', regex: '(' }] }))).toBe('config.custom_patterns[1].regex');
  expect(EMPTY_POLICY.patterns).toEqual([]);
});
