import { generateKeyringSpec, parseKeyring } from '@aegis/shared';
import { TokenError, TokenVault } from '../../../src/domain/tokenization/token-vault.js';

describe('token vault', () => {
  const spec = generateKeyringSpec('k1');
  const vault = new TokenVault(parseKeyring(spec));

  test('round trip, tokens differ per call (random IV) and name the key id', () => {
    const a = vault.tokenize('acme', 'email', 'a@x.io');
    expect(a).toMatch(/^<tok:EMAIL:v1\.k1\./);
    expect(vault.tokenize('acme', 'email', 'a@x.io')).not.toBe(a);
    expect(vault.detokenize('acme', `to ${a}!`)).toEqual({ text: 'to a@x.io!', count: 1, restored: [{ type: 'email', value: 'a@x.io' }] });
  });

  test('another tenant cannot open it', () => {
    const token = vault.tokenize('acme', 'ssn', '536-90-4399');
    expect(() => vault.detokenize('other', token)).toThrow(expect.objectContaining({ reason: 'not_this_tenant' }));
  });

  test('a changed type is detected (type is bound as associated data)', () => {
    const token = vault.tokenize('acme', 'ssn', '536-90-4399').replace('<tok:SSN:', '<tok:EMAIL:');
    expect(() => vault.detokenize('acme', token)).toThrow(TokenError);
  });

  test('rotation: a new first key seals, the old still opens; removing it destroys its tokens', () => {
    const old = vault.tokenize('acme', 'email', 'a@x.io');
    const rotated = new TokenVault(parseKeyring(`${generateKeyringSpec('k2')},${spec}`));
    expect(rotated.activeKeyId).toBe('k2');
    expect(rotated.tokenize('acme', 'email', 'a@x.io')).toMatch(/^<tok:EMAIL:v1\.k2\./);
    expect(rotated.detokenize('acme', old).text).toBe('a@x.io');
    const withoutOld = new TokenVault(parseKeyring(generateKeyringSpec('k2')));
    expect(() => withoutOld.detokenize('acme', old)).toThrow(expect.objectContaining({ reason: 'unknown_key' }));
  });

  test('malformed tokens are refused, text without tokens passes unchanged', () => {
    expect(() => vault.detokenize('acme', 'x <tok:EMAIL:garbage> y')).toThrow(expect.objectContaining({ reason: 'malformed' }));
    expect(vault.detokenize('acme', 'nothing here')).toEqual({ text: 'nothing here', count: 0, restored: [] });
  });
});
