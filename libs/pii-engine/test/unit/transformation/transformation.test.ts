import { randomBytes } from 'node:crypto';
import { detect, EMPTY_POLICY, type Finding } from '../../../src/detection/index.js';
import { KeyedHasher, maskValue, redactor, replaceSpans } from '../../../src/transformation/index.js';

function apply(text: string, replace: (f: Finding, value: string) => string): string {
  return replaceSpans(text, detect(text, EMPTY_POLICY), (f, v) => replace(f, v)).text;
}

describe('mask, exactly as the plan shows', () => {
  test.each([
    ['email', 'email@example.com', 'e***@example.com'],
    ['phone', '555-123-4567', '***-***-4567'],
    ['phone', '+1 (415) 555-2671', '+* (***) ***-2671'],
    ['credit_card', '4111 1111 1111 1111', '**** **** **** 1111'],
    ['credit_card', '4111111111111111', '************1111'],
    ['ssn', '536-90-4399', '***-**-4399'],
    ['ip_address', '192.168.1.10', '***.***.*.10'],
    ['url_with_credentials', 'postgres://admin:s3cret@db/app', 'postgres://admin:****@db/app'],
    ['api_key', 'AKIAIOSFODNN7EXAMPLE', 'AKIA****************'],
    ['date_of_birth', '1987-03-05', '****-**-**'],
  ])('%s %s', (type, value, masked) => {
    expect(maskValue(type, value)).toBe(masked);
  });
});

describe('redaction styles', () => {
  const text = 'a@x.io wrote to b@x.io, then a@x.io again';
  test('fixed: the plan\'s default', () => {
    expect(apply(text, redactor('fixed'))).toBe('***REDACTED*** wrote to ***REDACTED***, then ***REDACTED*** again');
    expect(apply(text, redactor('fixed', '[x]'))).toBe('[x] wrote to [x], then [x] again');
  });
  test('per type', () => {
    expect(apply(text, redactor('type'))).toBe('<EMAIL> wrote to <EMAIL>, then <EMAIL> again');
  });
  test('per instance, consistent within the request', () => {
    expect(apply(text, redactor('instance'))).toBe('<EMAIL_1> wrote to <EMAIL_2>, then <EMAIL_1> again');
  });
});

describe('keyed hash', () => {
  const hasher = new KeyedHasher(randomBytes(32));
  test('same value, same token within a tenant; different across tenants and types', () => {
    const t = hasher.token('acme', 'email', 'a@x.io');
    expect(t).toMatch(/^<EMAIL:[0-9a-f]{16}>$/);
    expect(hasher.token('acme', 'email', 'a@x.io')).toBe(t);
    expect(hasher.token('other', 'email', 'a@x.io')).not.toBe(t);
    expect(hasher.token('acme', 'email', 'b@x.io')).not.toBe(t);
  });
  test('refuses a short key', () => {
    expect(() => new KeyedHasher(randomBytes(16))).toThrow(RangeError);
  });
});
