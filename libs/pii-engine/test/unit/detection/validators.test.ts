import { generateApiKey } from '../../../../../services/auth/src/api-keys/domain/api-key-format.js';
import { aegisApiKeyValid, birthDateValid, cardBrand, ibanValid, luhnValid, ssnValid } from '../../../src/detection/validators.js';

test('luhn', () => {
  expect(luhnValid('4111111111111111')).toBe(true);
  expect(luhnValid('4111111111111112')).toBe(false);
  expect(luhnValid('79927398713')).toBe(true);
  expect(luhnValid('')).toBe(false);
});

test('card brands by prefix and length', () => {
  expect(cardBrand('4111111111111111')).toBe('visa');
  expect(cardBrand('5500000000000004')).toBe('mastercard');
  expect(cardBrand('2223000048400011')).toBe('mastercard');
  expect(cardBrand('378282246310005')).toBe('amex');
  expect(cardBrand('6011000990139424')).toBe('discover');
  expect(cardBrand('3530111333300000')).toBe('jcb');
  expect(cardBrand('1234567812345670')).toBeUndefined();
  expect(cardBrand('37828224631000')).toBeUndefined();
});

test('SSN area, group and serial rules', () => {
  expect(ssnValid('536', '90', '4399')).toBe(true);
  for (const [a, g, s] of [['000', '12', '3456'], ['666', '12', '3456'], ['912', '12', '3456'], ['536', '00', '4399'], ['536', '90', '0000'], ['078', '05', '1120']]) {
    expect(ssnValid(a!, g!, s!)).toBe(false);
  }
});

test('IBAN length per country and mod 97', () => {
  expect(ibanValid('DE89370400440532013000')).toBe(true);
  expect(ibanValid('DE89370400440532013001')).toBe(false);
  expect(ibanValid('DE8937040044053201300')).toBe(false);
});

test('the Aegis API key checksum agrees with the auth service\'s key format', () => {
  for (let i = 0; i < 50; i++) {
    const key = generateApiKey('genxai', i % 2 === 0 ? 'live' : 'test');
    expect(aegisApiKeyValid(key)).toBe(true);
    const tampered = key.slice(0, -7) + (key.at(-7) === 'a' ? 'b' : 'a') + key.slice(-6);
    expect(aegisApiKeyValid(tampered)).toBe(false);
  }
  // The checksum covers the labels: test cannot be edited into live.
  const key = generateApiKey('genxai', 'test');
  expect(aegisApiKeyValid(key.replace('_test_', '_live_'))).toBe(false);
});

test('birth dates exist and lie in the past', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  expect(birthDateValid(1987, 3, 5, now)).toBe(true);
  expect(birthDateValid(1987, 2, 29, now)).toBe(false);
  expect(birthDateValid(1988, 2, 29, now)).toBe(true);
  expect(birthDateValid(2027, 1, 1, now)).toBe(false);
  expect(birthDateValid(1899, 1, 1, now)).toBe(false);
});
