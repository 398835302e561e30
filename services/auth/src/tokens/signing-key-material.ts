import { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { openSealed, seal, type Keyring } from '@aegis/shared';
import type { SigningAlgorithm } from './domain/signing-algorithms.js';
import type { SigningKeyTimes } from './domain/signing-key-schedule.js';

/** A signing key as stored: public JWK in the clear, private key sealed with the auth keyring. */
export interface StoredSigningKey extends SigningKeyTimes {
  publicJwk: JWK;
  /** `seal(keyring, pkcs8, "signing_key:<kid>")`: bound to its kid, so it cannot be moved to another row. */
  sealedPrivateKey: string;
}

const IMPORT_PARAMS: Record<SigningAlgorithm, webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams | webcrypto.Algorithm> = {
  EdDSA: { name: 'Ed25519' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
};

export function sealedKeyContext(kid: string): string {
  return `signing_key:${kid}`;
}

/**
 * A fresh key pair for `algorithm`. The kid is the RFC 7638 thumbprint of the public key:
 * unique without coordination, and anyone can check that a published key matches its kid.
 */
export async function generateSigningKey(
  algorithm: SigningAlgorithm,
  keyring: Keyring,
  times: { now: Date; activateAt: Date },
): Promise<StoredSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(algorithm, {
    extractable: true,
    ...(algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {}),
    ...(algorithm === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', privateKey as webcrypto.CryptoKey));
  try {
    return {
      kid,
      algorithm,
      createTime: times.now,
      activateTime: times.activateAt,
      retireTime: null,
      publicJwk: { ...jwk, kid, alg: algorithm, use: 'sig' },
      sealedPrivateKey: seal(keyring, pkcs8, sealedKeyContext(kid)),
    };
  } finally {
    pkcs8.fill(0);
  }
}

/** The private key of a stored key, non-extractable, for signing only. Throws SecretBoxError if the seal does not open. */
export async function openSigningKey(keyring: Keyring, key: StoredSigningKey): Promise<CryptoKey> {
  const pkcs8 = openSealed(keyring, key.sealedPrivateKey, sealedKeyContext(key.kid));
  try {
    return await webcrypto.subtle.importKey('pkcs8', pkcs8, IMPORT_PARAMS[key.algorithm], false, ['sign']) as CryptoKey;
  } finally {
    pkcs8.fill(0);
  }
}

/** The JWKS members of a stored key: only the public parameters the contract's Jwk lists. */
export function publicJwkOf(key: StoredSigningKey): JWK {
  const { kty, crv, x, y, n, e } = key.publicJwk;
  return {
    kid: key.kid,
    kty,
    alg: key.algorithm,
    use: 'sig',
    ...(crv !== undefined ? { crv } : {}),
    ...(x !== undefined ? { x } : {}),
    ...(y !== undefined ? { y } : {}),
    ...(n !== undefined ? { n } : {}),
    ...(e !== undefined ? { e } : {}),
  };
}
