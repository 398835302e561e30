import { generateRefreshToken, looksLikeRefreshToken, refreshTokenDigest } from '../../../src/tokens/domain/refresh-token-secret.js';

test('refresh tokens carry 256 random bits behind a recognisable prefix, and differ every time', () => {
  const tokens = Array.from({ length: 1000 }, generateRefreshToken);
  expect(new Set(tokens).size).toBe(1000);
  for (const token of tokens) {
    expect(looksLikeRefreshToken(token)).toBe(true);
    expect(Buffer.from(token.slice('aegis_rt_'.length), 'base64url')).toHaveLength(32);
  }
});

test('the digest is SHA-256 of the token: 32 bytes, stable, and not the token', () => {
  const token = generateRefreshToken();
  const digest = refreshTokenDigest(token);
  expect(digest).toHaveLength(32);
  expect(digest.equals(refreshTokenDigest(token))).toBe(true);
  expect(digest.equals(refreshTokenDigest(generateRefreshToken()))).toBe(false);
  expect(digest.toString('base64url')).not.toContain(token.slice(9, 20));
});

test.each([['aegis_rt_short'], ['eyJhbGciOiJFZERTQSJ9.e30.c2ln'], ['genxai_live_abc'], [`aegis_rt_${'A'.repeat(42)}!`]])('%s is not a refresh token', (value) => {
  expect(looksLikeRefreshToken(value)).toBe(false);
});
