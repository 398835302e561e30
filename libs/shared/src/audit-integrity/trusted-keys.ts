// The public keys a verifier trusts, by key_id. Accepted text: base64 SPKI DER keys (one per
// line or comma-separated, as the producers log them) and/or PEM "PUBLIC KEY" blocks; lines
// starting with "#" are comments.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { auditKeyId } from './checkpoint-signature.js';

export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export function parseTrustedKeys(text: string): TrustedKeys {
  const keys = new Map<string, KeyObject>();
  const pem = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;
  const add = (key: KeyObject, shown: string): void => {
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`public key ${shown} is not an Ed25519 key`);
    keys.set(auditKeyId(key), key);
  };
  for (const block of text.match(pem) ?? []) add(createPublicKey(block), 'in PEM block');
  const rest = text.replace(pem, '');
  const entries = rest.split(/\r?\n/).filter((line) => !line.trim().startsWith('#')).flatMap((line) => line.split(','))
    .map((entry) => entry.trim()).filter((entry) => entry !== '');
  entries.forEach((entry, index) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(entry, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw new Error(`entry ${index + 1} is not a base64 SPKI DER public key`);
    }
    add(key, `entry ${index + 1}`);
  });
  return keys;
}
