// Ed25519 signatures of AuditCheckpoint: over the checkpoint's protobuf binary form with
// `signature` empty. key_id is derived from the public key, so a verifier pinning a public
// key knows its id without being told.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { clone, create, toBinary } from '@bufbuild/protobuf';
import { AuditCheckpointSchema } from '@aegis/proto/aegis/events/v1/audit_checkpoint_pb.js';
import type { AuditCheckpoint } from '@aegis/proto/aegis/events/v1/audit_checkpoint_pb.js';

export interface AuditSigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Base64 of the SubjectPublicKeyInfo DER: what a verifier pins. */
  publicKeyBase64: string;
}

/** "ed25519:" and the first 16 hex digits of SHA-256 of the public key's SPKI DER. */
export function auditKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `ed25519:${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

/** A key from base64 PKCS8 DER (AEGIS_AUDIT_SIGNING_KEY). Throws without quoting the input. */
export function parseSigningKey(pkcs8Base64: string): AuditSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(pkcs8Base64.trim(), 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('is not a base64 PKCS8 DER private key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return fromPrivateKey(privateKey);
}

export function generateSigningKey(): { key: AuditSigningKey; pkcs8Base64: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { key: fromPrivateKey(privateKey), pkcs8Base64: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64') };
}

function fromPrivateKey(privateKey: KeyObject): AuditSigningKey {
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: auditKeyId(publicKey),
    privateKey,
    publicKey,
    publicKeyBase64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

function signedBytes(checkpoint: AuditCheckpoint): Uint8Array {
  const copy = clone(AuditCheckpointSchema, checkpoint);
  copy.signature = new Uint8Array(0);
  return toBinary(AuditCheckpointSchema, copy);
}

/** A signed checkpoint (key_id and signature filled in). */
export function signCheckpoint(fields: Omit<AuditCheckpoint, '$typeName' | '$unknown' | 'keyId' | 'signature'>, key: AuditSigningKey): AuditCheckpoint {
  const checkpoint = create(AuditCheckpointSchema, { ...fields, keyId: key.keyId });
  checkpoint.signature = sign(null, signedBytes(checkpoint), key.privateKey);
  return checkpoint;
}

/** True when `checkpoint.signature` is a valid Ed25519 signature by `publicKey`. */
export function checkpointSignatureValid(checkpoint: AuditCheckpoint, publicKey: KeyObject): boolean {
  if (checkpoint.signature.length !== 64) return false;
  try {
    return verify(null, signedBytes(checkpoint), publicKey, checkpoint.signature);
  } catch {
    return false;
  }
}
