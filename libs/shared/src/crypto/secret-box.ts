import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// AES-256-GCM with a key id in every sealed value, so keys rotate: new values are sealed with
// the active key, old values still open with the key named in them. Associated data binds a
// ciphertext to its place (e.g. "signing_key:<kid>"), so it cannot be copied to another row.
const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

export interface Keyring {
  readonly activeKeyId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

/**
 * Parses `kid1:<base64 32 bytes>,kid2:<base64>`; the first key is the active one.
 * Errors name the key id, never the key.
 */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  for (const part of spec.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const colon = part.indexOf(':');
    const kid = colon > 0 ? part.slice(0, colon) : '';
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new SecretBoxError('each key must be written "<key id>:<base64 key>" with a key id of letters, digits, "_" or "-"');
    const key = Buffer.from(part.slice(colon + 1), 'base64');
    if (key.length !== KEY_BYTES) throw new SecretBoxError(`key "${kid}" must be base64 of exactly ${KEY_BYTES} bytes`);
    if (keys.has(kid)) throw new SecretBoxError(`key id "${kid}" appears twice`);
    keys.set(kid, key);
  }
  const activeKeyId = keys.keys().next().value;
  if (activeKeyId === undefined) throw new SecretBoxError('the keyring is empty');
  return { activeKeyId, keys };
}

export function generateKeyringSpec(kid = 'k1'): string {
  return `${kid}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

export function seal(keyring: Keyring, plaintext: Uint8Array, associatedData: string): string {
  const key = keyring.keys.get(keyring.activeKeyId)!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, keyring.activeKeyId, iv.toString('base64url'), body.toString('base64url')].join('.');
}

export function open(keyring: Keyring, sealed: string, associatedData: string): Buffer {
  const [version, kid = '', ivText = '', bodyText = ''] = sealed.split('.');
  if (version !== VERSION) throw new SecretBoxError('unsupported sealed value');
  const key = keyring.keys.get(kid);
  if (key === undefined) throw new SecretBoxError(`no key "${kid}" in the keyring`);
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('malformed sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SecretBoxError('sealed value failed authentication (wrong key, wrong context or tampered)');
  }
}

/** Whether a value was sealed with a key other than the active one (re-seal it on rotation). */
export function needsReseal(keyring: Keyring, sealed: string): boolean {
  return sealed.split('.')[1] !== keyring.activeKeyId;
}
