// The JWS algorithms auth signs with (the contract's SigningKey.algorithm and Jwk.alg).
// EdDSA (Ed25519) is the default: small keys and signatures, fast, deterministic, no
// nonce to get wrong. ES256 and RS256 are for verifiers that lack Ed25519.
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;

export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}
