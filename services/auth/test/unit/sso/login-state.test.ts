import { looksLikeState, newLoginSecrets, pkceChallenge } from '../../../src/sso/domain/login-state.js';

describe('login secrets', () => {
  test('S256 challenge matches RFC 7636 appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  test('state, verifier and nonce are distinct 256-bit base64url values; the verifier is a valid PKCE verifier', () => {
    const a = newLoginSecrets();
    const b = newLoginSecrets();
    for (const value of [a.state, a.codeVerifier, a.nonce]) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set([a.state, a.codeVerifier, a.nonce, b.state, b.codeVerifier, b.nonce]).size).toBe(6);
    expect(looksLikeState(a.state)).toBe(true);
  });

  test('anything not shaped like our state is refused before a lookup', () => {
    for (const bad of ['', 'short', 'x'.repeat(44), `${'a'.repeat(42)}!`]) expect(looksLikeState(bad)).toBe(false);
  });
});
