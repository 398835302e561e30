import { RE2JS } from 're2js';
import { generateApiKey } from '../../../../../services/auth/src/api-keys/domain/api-key-format.js';
import { compilePattern, compileRegex, detect, EMPTY_POLICY, jsonStrings, PatternError, withRequestAdditions, type DetectionPolicy } from '../../../src/detection/index.js';

describe('detect', () => {
  test('offsets are UTF-16 code units, as JavaScript slices', () => {
    const text = '😀 héllo 🎉 mail me at ana@example.org 😀';
    const [f] = detect(text, EMPTY_POLICY);
    expect(text.slice(f!.start, f!.end)).toBe('ana@example.org');
    expect(f).toMatchObject({ type: 'email', detector: 'email_syntax' });
  });

  test('context words raise a weak match over the threshold and are named in the detector', () => {
    expect(detect('reference 536904399', EMPTY_POLICY)).toEqual([]);
    const [f] = detect('my SSN is 536904399', EMPTY_POLICY);
    expect(f).toMatchObject({ type: 'ssn', detector: 'ssn_rules+context' });
    expect(f!.score).toBeGreaterThanOrEqual(0.5);
  });

  test('min score and types filter', () => {
    const text = 'a@b.io 415-555-2671';
    expect(detect(text, EMPTY_POLICY, { types: ['phone'] }).map((f) => f.type)).toEqual(['phone']);
    expect(detect(text, EMPTY_POLICY, { minScore: 0.9 }).map((f) => f.type)).toEqual(['email']);
  });

  test('our own API keys are found by checksum; a look-alike is not reported as one', () => {
    const key = generateApiKey('genxai', 'live');
    const [f] = detect(`key ${key}`, EMPTY_POLICY);
    expect(f).toMatchObject({ type: 'api_key', detector: 'aegis_api_key', score: 0.99 });
    const fake = `genxai_live_${'A'.repeat(38)}`;
    expect(detect(`the string ${fake}`, EMPTY_POLICY)).toEqual([]);
  });

  test('allow-list drops exact values; deny-list always reports', () => {
    const policy: DetectionPolicy = { allowList: new Set(['support@acme.com']), denyList: [{ type: 'person', value: 'Project Bluebird' }], patterns: [] };
    const text = 'write support@acme.com or bob@acme.com about Project Bluebird';
    expect(detect(text, policy).map((f) => [f.type, text.slice(f.start, f.end), f.detector])).toEqual([
      ['email', 'bob@acme.com', 'email_syntax'],
      ['person', 'Project Bluebird', 'deny_list'],
    ]);
  });

  test('custom patterns run on RE2 with UTF-16 offsets and context words', () => {
    const pattern = compilePattern({ name: 'employee_id', regex: 'EMP-[0-9]{6}', score: 0.4, contextWords: ['employee'] });
    const policy = withRequestAdditions(EMPTY_POLICY, [], [pattern]);
    const text = '🎉 EMP-123456 was filed long ago, and the employee EMP-654321';
    const findings = detect(text, policy);
    expect(findings.map((f) => [text.slice(f.start, f.end), f.detector])).toEqual([['EMP-654321', 'custom:employee_id+context']]);
  });

  test('bad custom patterns are refused with the field named', () => {
    expect(() => compilePattern({ name: 'x', regex: '(a)\\1' })).toThrow(PatternError);
    expect(() => compilePattern({ name: 'x', regex: '(?=a)' })).toThrow(PatternError);
    expect(() => compilePattern({ name: 'email', regex: 'a' })).toThrow(/built-in/);
    expect(() => compilePattern({ name: 'x', regex: 'a*' })).toThrow(/empty string/);
  });

  test('custom patterns run on RE2, so a pattern that needs backtracking is refused', () => {
    // The engine is RE2 (automata, linear in the input), not a backtracking RegExp.
    expect(compileRegex('EMP-[0-9]{6}')).toBeInstanceOf(RE2JS);
    // What only a backtracking engine can do is refused, with the field named.
    for (const regex of ['(a)\\1', '(?<n>a)\\k<n>', '(?=a)a', '(?!a)b', '(?<=a)b', '(?<!a)b', '(?>a+)b', 'a++b']) {
      expect(() => compilePattern({ name: 'x', regex })).toThrow(expect.objectContaining({ field: 'regex' }));
    }
    // Nested quantifiers (catastrophic for backtracking) are fine for automata: same answers as
    // a backtracking engine on a short input, and the long input is one linear pass (its time is
    // in `npm run bench:pii`, not asserted here).
    const policy = withRequestAdditions(EMPTY_POLICY, [], [compilePattern({ name: 'evil', regex: '(a+)+$' })]);
    expect(detect(`${'a'.repeat(20)}!`, policy, { types: ['evil'] })).toEqual([]);
    expect(detect(`${'a'.repeat(100_000)}!`, policy, { types: ['evil'] })).toEqual([]);
    expect(detect('xx aaaa', policy, { types: ['evil'] })).toMatchObject([{ start: 3, end: 7, detector: 'custom:evil' }]);
  });

  test('overlapping findings: one per span, the higher score wins', () => {
    const text = 'postgres://admin:s3cret@db.example.com/app';
    expect(detect(text, EMPTY_POLICY).map((f) => f.type)).toEqual(['url_with_credentials']);
  });
});

// Finishing at all is the assertion: a super-linear pattern on 1 MB would run for hours, far past
// the test timeout, while the linear built-ins take milliseconds. No wall-clock bound of our own,
// so a slow machine cannot fail it; the timings are in `npm run bench:pii`.
describe('1 MB of adversarial input is answered', () => {
  const MB = 1024 * 1024;
  const inputs: Record<string, string> = {
    'one long word': 'a'.repeat(MB),
    'digits': '1'.repeat(MB),
    'spaced digits': '1 '.repeat(MB / 2),
    'dashed digits': '12-'.repeat(MB / 3),
    'dotted numbers': '1.'.repeat(MB / 2),
    'local parts without a domain': 'a.'.repeat(MB / 2) + '@',
    'at signs': 'a@'.repeat(MB / 2),
    'domain labels': `x@${'a.'.repeat(MB / 2)}`,
    'colons': 'a:'.repeat(MB / 2),
    'base64 run': 'Ab9+'.repeat(MB / 4),
    'jwt prefixes': 'eyJ'.repeat(MB / 3),
    'scheme and userinfo': 'a://b:c'.repeat(MB / 7),
    'hex groups': '12ab:'.repeat(MB / 5),
    'pem headers': '-----BEGIN '.repeat(MB / 11),
    'capitalised words': 'Ab '.repeat(MB / 3),
    'name cues': 'Dear Mr. '.repeat(MB / 9),
  };
  test.each(Object.keys(inputs))('%s', (name) => {
    const result = detect(inputs[name]!, EMPTY_POLICY);
    expect(result).toBeDefined();
  }, 60_000);
});

test('JSON strings with RFC 9535 normalized paths', () => {
  const doc = { customer: { emails: ['a@b.io'], "it's": 'x', n: 5 }, list: [[{ k: 'v' }]] };
  expect([...jsonStrings(doc)].map((s) => s.path)).toEqual(["$['customer']['emails'][0]", "$['customer']['it\\'s']", "$['list'][0][0]['k']"]);
});
