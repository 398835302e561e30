import { errors, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';

/**
 * A key resolver over a fixed JWKS, selecting exactly one key by the token's `kid` *and*
 * `alg`: a key is only ever used with the algorithm its JWK names (RFC 8725 section 3.1), and a
 * JWK without kid or alg, a private or symmetric key, or one not meant for verifying signatures
 * is never selected. Keys are imported once, on first use. An unknown (kid, alg) is jose's
 * JWKSNoMatchingKey, which remoteJwks answers with a refetch.
 *
 * Why not jose's createLocalJWKSet: it filters the whole set per call and accepts JWKs without
 * `alg`; a map lookup is both stricter and cheaper on the path every request takes.
 */
export function localKeySet(jwks: { keys: readonly JWK[] }): JWTVerifyGetKey {
  const usable = new Map<string, JWK | 'ambiguous'>();
  for (const jwk of jwks.keys) {
    if (!isSelectable(jwk)) continue;
    const id = idOf(jwk.kid!, jwk.alg!);
    usable.set(id, usable.has(id) ? 'ambiguous' : jwk);
  }
  const imported = new Map<string, Promise<CryptoKey>>();
  return (header) => {
    const id = idOf(String(header.kid), String(header.alg));
    let key = imported.get(id);
    if (key === undefined) {
      const jwk = usable.get(id);
      if (jwk === undefined || jwk === 'ambiguous') return Promise.reject(new errors.JWKSNoMatchingKey());
      key = importJWK(jwk, jwk.alg).then(
        (k) => k as CryptoKey,
        // A JWK that does not import as its own alg is as good as absent.
        () => Promise.reject(new errors.JWKSNoMatchingKey()),
      );
      imported.set(id, key);
    }
    return key;
  };
}

function isSelectable(jwk: JWK): boolean {
  if (typeof jwk !== 'object' || jwk === null) return false;
  if (typeof jwk.kid !== 'string' || jwk.kid === '' || typeof jwk.alg !== 'string' || jwk.alg === '') return false;
  if (jwk.kty === 'oct' || jwk.d !== undefined) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  return jwk.key_ops === undefined || (Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'));
}

function idOf(kid: string, alg: string): string {
  return `${kid}\u0000${alg}`;
}
