// Each built-in type: what it must find, and the hard negatives the plan's regexes flag.
import { detect, EMPTY_POLICY, type Finding } from '../../../src/detection/index.js';

function found(text: string, type?: string): string[] {
  return detect(text, EMPTY_POLICY, type !== undefined ? { types: [type] } : {}).map((f: Finding) => text.slice(f.start, f.end));
}

describe('email', () => {
  test.each(['mail john.doe+tag@example.co.uk today', 'a_b%c@sub.domain.io', 'x@y.museum'])('finds %s', (text) => {
    expect(found(text, 'email')).toHaveLength(1);
  });
  test.each(['user@localhost', 'see .a@example.com.', 'double..dot@example.com', 'no at sign here', 'version@1.2'])('not %s', (text) => {
    expect(found(text, 'email').filter((v) => v.includes('..') || !v.includes('.') || v.startsWith('.'))).toEqual([]);
  });
});

describe('phone', () => {
  test.each([
    ['call 415-555-2671 now', '415-555-2671'],
    ['(415) 555-2671', '(415) 555-2671'],
    ['UK office +44 20 7946 0958', '+44 20 7946 0958'],
    ['Berlin +49 30 901820', '+49 30 901820'],
    ['the plan example 555-123-4567', '555-123-4567'],
    ['phone: 4155552671', '4155552671'],
  ])('finds %s', (text, value) => {
    expect(found(text, 'phone')).toEqual([value]);
  });
  test.each(['order 4155552671 shipped', 'on 2024-01-15 10:30:45', 'ISBN 978-3-16-148410-0', 'price 1,299.99', 'ip 192.168.1.1', 'zip 94103', 'SSN 123-45-6789'])('not in %s', (text) => {
    expect(found(text, 'phone')).toEqual([]);
  });
});

describe('ssn', () => {
  test.each(['SSN 536-90-4399', 'ssn: 536904399', 'social security number 536 90 4399'])('finds %s', (text) => {
    expect(found(text, 'ssn')).toHaveLength(1);
  });
  test.each(['000-12-3456', '666-12-3456', '900-12-3456', '123-00-4567', '123-45-0000', '078-05-1120', 'ticket 536904399', 'part 536-90-43999'])('rejects %s', (text) => {
    expect(found(text, 'ssn')).toEqual([]);
  });
});

describe('credit_card', () => {
  test.each(['4111111111111111', '4111 1111 1111 1111', '5500-0000-0000-0004', '3782 822463 10005', '6011000990139424', '2223000048400011'])('finds %s', (text) => {
    expect(found(text, 'credit_card')).toEqual([text]);
  });
  test.each(['4111111111111112', '4111 1111-1111 1111', '1234567812345670', '9780306406157 isbn', '41111 1111 1111 111'])('rejects %s', (text) => {
    expect(found(text, 'credit_card')).toEqual([]);
  });
});

describe('ip_address', () => {
  test.each(['from 192.168.1.10', '8.8.8.8', '2001:db8::8a2e:370:7334', 'fe80::1', '::ffff:192.0.2.128', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'])('finds %s', (text) => {
    expect(found(text, 'ip_address')).toHaveLength(1);
  });
  test.each(['999.1.1.1', '256.1.1.1', '1.2.3', 'version 1.2.3.4', 'v1.2.3.4', '10:30:45', '00:1A:2B:3C:4D:5E', 'std::vector', '1.2.3.4.5'])('rejects %s', (text) => {
    expect(found(text, 'ip_address')).toEqual([]);
  });
});

describe('api_key', () => {
  const jwt = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"1234567890"}').toString('base64url')}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`;
  test.each([
    'AKIAIOSFODNN7EXAMPLE',
    'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
    'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
    'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q',
    jwt,
    'ghp_1234567890abcdefABCDEF1234567890abcd',
  ])('finds %s', (text) => {
    expect(found(`token ${text} end`, 'api_key')).toEqual([text]);
  });
  test('a PEM private key block, whole', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';
    expect(found(`key:\n${pem}\n`, 'api_key')).toEqual([pem]);
  });
  test('a random token only near a secret word', () => {
    expect(found('api_key = "q8Zr2LxP0vB7nM4kT1wY6hJ3"', 'api_key')).toEqual(['q8Zr2LxP0vB7nM4kT1wY6hJ3']);
    expect(found('build q8Zr2LxP0vB7nM4kT1wY6hJ3 finished', 'api_key')).toEqual([]);
  });
  test.each([
    'the key is 550e8400-e29b-41d4-a716-446655440000',
    'token commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f',
    'secret ingredient is aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'key: state-of-the-art-machine-learning-pipeline',
    'AKIAIOSFODNN7EXAMPL',
    'sk-learn-is-a-python-package-for-ml',
  ])('rejects %s', (text) => {
    expect(found(text, 'api_key')).toEqual([]);
  });
});

describe('iban', () => {
  test.each(['DE89 3704 0044 0532 0130 00', 'GB29NWBK60161331926819', 'FR1420041010050500013M02606'])('finds %s', (text) => {
    expect(found(`IBAN ${text}.`, 'iban')).toEqual([text]);
  });
  test.each(['DE89 3704 0044 0532 0130 01', 'GB29NWBK6016133192681', 'XX29NWBK60161331926819'])('rejects %s', (text) => {
    expect(found(text, 'iban')).toEqual([]);
  });
});

describe('url_with_credentials', () => {
  test('the whole URL, without trailing punctuation', () => {
    expect(found('connect to postgres://admin:s3cret@db.internal:5432/app.', 'url_with_credentials')).toEqual(['postgres://admin:s3cret@db.internal:5432/app']);
  });
  test.each(['https://example.com/a:b@c', 'https://user@example.com', 'mailto:someone@example.com'])('rejects %s', (text) => {
    expect(found(text, 'url_with_credentials')).toEqual([]);
  });
});

describe('date_of_birth', () => {
  test.each(['DOB: 1987-03-05', 'date of birth 05/03/1987', 'born on March 5, 1987', 'Birthday: 5 March 1987'])('finds %s', (text) => {
    expect(found(text, 'date_of_birth')).toHaveLength(1);
  });
  test.each(['invoice dated 2024-01-15', 'meeting 05/03/2024 at noon', 'DOB: 2087-03-05', 'DOB: 1987-02-30'])('rejects %s', (text) => {
    expect(found(text, 'date_of_birth')).toEqual([]);
  });
});
