import { DEFAULT_CATALOGUE } from '../../src/prices/catalogue.js';
import { countTokens, encodingFor, warmEncodings } from '../../src/prices/tokenizer.js';

describe('tokenizer', () => {
  test('warms every encoding the catalogue names, and the stand-in, once each', () => {
    const warmed = warmEncodings(DEFAULT_CATALOGUE.map((p) => p.tokenizer));
    expect([...warmed].sort()).toEqual(['cl100k_base', 'o200k_base']);
    // Unknown and empty names are ignored rather than failing start-up.
    expect(warmEncodings(['', 'no-such-encoding'])).toEqual(['cl100k_base']);
  });

  test('counts with the price tokenizer, else the model table, else the stand-in flagged inexact', () => {
    expect(encodingFor('gpt-4o', 'o200k_base')).toEqual({ name: 'o200k_base', exact: true });
    expect(encodingFor('gpt-4', '')).toEqual({ name: 'cl100k_base', exact: true });
    expect(encodingFor('claude-3-opus', '')).toEqual({ name: 'cl100k_base', exact: false });
    expect(countTokens('hello world', 'cl100k_base')).toBe(2);
  });
});
