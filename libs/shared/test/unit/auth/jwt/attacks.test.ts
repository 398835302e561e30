// The JWT attack suite (RFC 8725): every forged, stale, misdirected or malformed token is
// refused with `unauthenticated`, and the refusal never repeats what the token contained.
import { base64url } from 'jose';
import { PrincipalType } from '@aegis/proto/aegis/common/v1/principal_pb.js';
import { AegisError } from '../../../../src/errors/index.js';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../../../../src/auth/jwt/index.js';
import { AUDIENCE, b64url, handmade, ISSUER, mint, signRawEd25519, signToken, testSigningKey, validClaims, type TestSigningKey } from './token-forge.js';

let ours: TestSigningKey;
let ourRsa: TestSigningKey;
let foreign: TestSigningKey;
let impostor: TestSigningKey;
let foreignEs: TestSigningKey;
let verify: AccessTokenVerifier;

beforeAll(async () => {
  ours = await testSigningKey('EdDSA', 'k-ours');
  ourRsa = await testSigningKey('RS256', 'k-rsa');
  foreign = await testSigningKey('EdDSA', 'k-foreign');
  // A key we never published, presenting itself under our kid.
  impostor = await testSigningKey('EdDSA', 'k-ours');
  foreignEs = await testSigningKey('ES256', 'k-ours');
  verify = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [ours.publicJwk, ourRsa.publicJwk] } });
});

async function refusal(token: string, verifier: AccessTokenVerifier = verify): Promise<AegisError> {
  try {
    await verifier(token);
  } catch (err) {
    if (err instanceof AegisError) return err;
    throw new Error(`expected an AegisError, got ${String(err)}`);
  }
  throw new Error('the token was accepted');
}

const now = () => Math.floor(Date.now() / 1000);
const attacker = { sub: 'attacker-7f3a', role: 'admin', roles: ['admin'], permissions: ['*'] };

describe('a genuine token', () => {
  test('verifies to the principal it names', async () => {
    const principal = await verify(await mint(ours, validClaims({ scope: 'agent:read tool:read', sid: 's-1' })));
    expect(principal).toMatchObject({
      tenantId: 'acme',
      type: PrincipalType.USER,
      id: 'u-1',
      userId: 'u-1',
      roles: ['developer'],
      permissions: ['agent:read'],
      scopes: ['agent:read', 'tool:read'],
      sessionId: 's-1',
    });
  });

  test('RS256 from the same key set verifies too, and so does an expiry within the 30 s tolerance', async () => {
    await expect(verify(await mint(ourRsa))).resolves.toMatchObject({ userId: 'u-1' });
    await expect(verify(await mint(ours, validClaims({ exp: now() - 10 })))).resolves.toMatchObject({ userId: 'u-1' });
  });

  test('a token listing several audiences passes if one is ours; typ application/at+jwt is the same media type', async () => {
    await expect(verify(await mint(ours, validClaims({ aud: ['billing', AUDIENCE] })))).resolves.toBeDefined();
    await expect(verify(await mint(ours, validClaims(), { typ: 'application/at+jwt' }))).resolves.toBeDefined();
  });
});

// name -> forged token; each must be refused with `unauthenticated` and a message matching `why`.
const attacks: Array<[string, () => Promise<string> | string, RegExp]> = [
  ['alg none, empty signature', () => handmade({ alg: 'none', kid: 'k-ours', typ: 'at+jwt' }, validClaims(attacker)), /not a signed JWT/],
  ['alg none with a signature part', () => handmade({ alg: 'none', kid: 'k-ours', typ: 'at+jwt' }, validClaims(attacker), 'c2ln'), /algorithm/],
  ['alg NONE (case games)', () => handmade({ alg: 'NONE', kid: 'k-ours', typ: 'at+jwt' }, validClaims(attacker), 'c2ln'), /algorithm/],
  ['HS256 keyed with our Ed25519 public key (PEM)', () => signToken(validClaims(attacker), { alg: 'HS256', kid: 'k-ours', typ: 'at+jwt' }, new TextEncoder().encode(ours.publicPem)), /algorithm/],
  ['HS256 keyed with our RSA public key (the classic RS/HS confusion)', () => signToken(validClaims(attacker), { alg: 'HS256', kid: 'k-rsa', typ: 'at+jwt' }, new TextEncoder().encode(ourRsa.publicPem)), /algorithm/],
  ['HS256 keyed with the raw Ed25519 public key bytes', () => signToken(validClaims(attacker), { alg: 'HS256', kid: 'k-ours', typ: 'at+jwt' }, base64url.decode(ours.publicJwk.x!)), /algorithm/],
  ['unknown kid', () => mint(foreign, validClaims(attacker)), /not in the key set/],
  ['foreign key under our kid (signed correctly by a key we never published)', () => mint(impostor, validClaims(attacker)), /signature is invalid/],
  ['another algorithm under our kid (ES256 where we publish EdDSA)', () => mint(foreignEs, validClaims(attacker)), /not in the key set/],
  ['RS256 header on our EdDSA kid', () => signToken(validClaims(attacker), { alg: 'RS256', kid: 'k-ours', typ: 'at+jwt' }, ourRsa.privateKey), /not in the key set/],
  ['no kid', () => signToken(validClaims(attacker), { alg: 'EdDSA', typ: 'at+jwt' }, ours.privateKey), /no signing key \(kid\)/],
  ['empty kid', () => mint(ours, validClaims(attacker), { kid: '' }), /no signing key \(kid\)/],
  ['expired beyond the tolerance', () => mint(ours, validClaims({ ...attacker, iat: now() - 3600, nbf: now() - 3600, exp: now() - 60 })), /expired/],
  ['not yet valid', () => mint(ours, validClaims({ ...attacker, nbf: now() + 300 })), /not valid yet/],
  ['wrong issuer', () => mint(ours, validClaims({ ...attacker, iss: 'https://evil.example' })), /another issuer/],
  ['wrong audience', () => mint(ours, validClaims({ ...attacker, aud: 'billing' })), /audience/],
  ['no audience', () => mint(ours, validClaims({ ...attacker, aud: undefined })), /aud/],
  ['typ JWT (e.g. an ID token)', () => mint(ours, validClaims(attacker), { typ: 'JWT' }), /typ must be at\+jwt/],
  ['no typ', () => mint(ours, validClaims(attacker), { typ: undefined }), /typ must be at\+jwt/],
  ['no exp', () => mint(ours, validClaims({ ...attacker, exp: undefined })), /exp/],
  ['no jti', () => mint(ours, validClaims({ ...attacker, jti: undefined })), /jti/],
  ['no tenant', () => mint(ours, validClaims({ ...attacker, tenant: undefined })), /tenant/],
  ['malformed tenant', () => mint(ours, validClaims({ ...attacker, tenant: 'ACME Corp' })), /tenant/],
  ['roles that are not strings', () => mint(ours, validClaims({ roles: [{ admin: true }] })), /roles/],
  ['tampered payload with the original signature', async () => {
    const [header, , signature] = (await mint(ours)).split('.');
    return `${header}.${b64url(validClaims(attacker))}.${signature}`;
  }, /signature is invalid/],
  ['tampered header (kid moved to the other key) with the original signature', async () => {
    const [, payload, signature] = (await mint(ours, validClaims(attacker))).split('.');
    return `${b64url({ alg: 'EdDSA', kid: 'k-rsa', typ: 'at+jwt' })}.${payload}.${signature}`;
  }, /not in the key set/],
  ['signature of another token', async () => {
    const [, , signature] = (await mint(ours)).split('.');
    const [header, payload] = (await mint(ours, validClaims(attacker))).split('.');
    return `${header}.${payload}.${signature}`;
  }, /signature is invalid/],
  ['oversized (a valid signature over 9 KB of claims)', () => mint(ours, validClaims({ ...attacker, padding: 'x'.repeat(9_000) })), /longer than 8192 bytes/],
  ['embedded jwk naming the signer\'s own key', () => signToken(validClaims(attacker), { alg: 'EdDSA', kid: 'k-foreign', typ: 'at+jwt', jwk: foreign.publicJwk }, foreign.privateKey), /"jwk" header/],
  ['embedded jwk under our kid, signed by the embedded key', () => signToken(validClaims(attacker), { alg: 'EdDSA', kid: 'k-ours', typ: 'at+jwt', jwk: impostor.publicJwk }, impostor.privateKey), /"jwk" header/],
  ['jku pointing at the attacker\'s key set', () => signToken(validClaims(attacker), { alg: 'EdDSA', kid: 'k-foreign', typ: 'at+jwt', jku: 'https://evil.example/jwks.json' }, foreign.privateKey), /"jku" header/],
  ['x5u pointing at the attacker\'s certificate', () => signToken(validClaims(attacker), { alg: 'EdDSA', kid: 'k-foreign', typ: 'at+jwt', x5u: 'https://evil.example/cert.pem' }, foreign.privateKey), /"x5u" header/],
  ['jku even on a token our key signed', () => mint(ours, validClaims(attacker), { jku: 'https://evil.example/jwks.json' }), /"jku" header/],
  ['an unknown critical header extension', () => signRawEd25519({ alg: 'EdDSA', kid: 'k-ours', typ: 'at+jwt', crit: ['exp-attacker'], 'exp-attacker': true }, validClaims(attacker), ours.privateKey), /algorithm|malformed/],
  ['hand-signed by our key but with alg none in the header', () => signRawEd25519({ alg: 'none', kid: 'k-ours', typ: 'at+jwt' }, validClaims(attacker), ours.privateKey), /algorithm/],
  ['garbage', () => 'garbage', /not a signed JWT/],
  ['empty', () => '', /no access token/],
  ['two parts', () => 'eyJhbGciOiJFZERTQSJ9.e30', /not a signed JWT/],
  ['five parts (a JWE)', () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', /not a signed JWT/],
  ['header that is not JSON', () => `${b64url('not json')}.${b64url(validClaims(attacker))}.c2ln`, /malformed/],
  ['header that is a JSON array', () => `${b64url([1, 2])}.${b64url(validClaims(attacker))}.c2ln`, /malformed/],
  ['payload that is not JSON', async () => {
    const [header] = (await mint(ours)).split('.');
    return `${header}.${b64url('{not json')}.c2ln`;
  }, /malformed|signature/],
  ['characters outside base64url', () => 'eyJ!.e30.c2ln', /malformed/],
];

describe('forged and unusable tokens are refused with unauthenticated', () => {
  test.each(attacks)('%s', async (_name, forge, why) => {
    const token = await forge();
    const err = await refusal(token);
    expect(err.kind).toBe('unauthenticated');
    expect(err.message).toMatch(why);
    // Nothing from inside the token comes back to the caller.
    expect(err.message).not.toContain('attacker');
    expect(err.message).not.toContain('evil');
    if (token.length > 20) expect(err.message).not.toContain(token.slice(0, 20));
  });
});

describe('the algorithm allow-list', () => {
  test.each([['none'], ['HS256'], ['HS512'], ['RSA-OAEP'], ['dir']])('refuses to be configured with %s', (alg) => {
    expect(() => createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], keys: { keys: [] } })).toThrow(TypeError);
  });

  test('an empty allow-list is a configuration error', () => {
    expect(() => createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: [], keys: { keys: [] } })).toThrow(TypeError);
  });

  test('a verifier limited to EdDSA refuses an RS256 token from its own key set', async () => {
    const edOnly = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['EdDSA'], keys: { keys: [ours.publicJwk, ourRsa.publicJwk] } });
    expect((await refusal(await mint(ourRsa), edOnly)).message).toMatch(/algorithm/);
    await expect(edOnly(await mint(ours))).resolves.toBeDefined();
  });

  test('a smaller size limit applies before anything is parsed', async () => {
    const small = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, maxTokenBytes: 100, keys: { keys: [ours.publicJwk] } });
    expect((await refusal(await mint(ours), small)).message).toMatch(/longer than 100 bytes/);
  });
});

describe('revocation', () => {
  test('isRevoked sees the token\'s jti, sid, sub, tenant and iat, and a true answer refuses it', async () => {
    const seen: unknown[] = [];
    const revoking = createAccessTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { keys: [ours.publicJwk] },
      isRevoked: async (claims) => {
        seen.push(claims);
        return claims.sid === 's-ended';
      },
    });
    const iat = now();
    await expect(revoking(await mint(ours, validClaims({ iat, sid: 's-live' })))).resolves.toBeDefined();
    const err = await refusal(await mint(ours, validClaims({ iat, sid: 's-ended' })), revoking);
    expect(err.kind).toBe('unauthenticated');
    expect(err.message).toMatch(/revoked/);
    expect(seen).toEqual([
      { jti: '0190e7a4-5b1c-4d2e-9f10-3a4b5c6d7e8f', sid: 's-live', sub: 'u-1', tenant: 'acme', iat },
      { jti: '0190e7a4-5b1c-4d2e-9f10-3a4b5c6d7e8f', sid: 's-ended', sub: 'u-1', tenant: 'acme', iat },
    ]);
  });

  test('isRevoked is not consulted for a token that fails verification', async () => {
    let calls = 0;
    const revoking = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [ours.publicJwk] }, isRevoked: () => (calls++, false) });
    await refusal(await mint(impostor), revoking);
    expect(calls).toBe(0);
  });
});
