import { CLIENT_ADDRESS_HEADER } from '../../../../src/server/index.js';
import { credentialSource, MISSING_CREDENTIAL, presentedCredential } from '../../../../src/auth/index.js';
import { AegisError } from '../../../../src/errors/index.js';

const API_KEY = 'genxai_live_0123456789abcdefghijABCDEFGHIJ012345';
// Shape only: three base64url parts, the first starting with "ey".
const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl';

function refusal(headers: Record<string, string>): AegisError {
  try {
    presentedCredential(new Headers(headers));
  } catch (err) {
    if (err instanceof AegisError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('presentedCredential', () => {
  test('Authorization: Bearer carries an API key or, when shaped like a JWT, an access token', () => {
    expect(presentedCredential(new Headers({ authorization: `Bearer ${API_KEY}` }))).toEqual({ kind: 'api_key', value: API_KEY });
    expect(presentedCredential(new Headers({ authorization: `Bearer ${JWT}` }))).toEqual({ kind: 'access_token', value: JWT });
  });

  test('the scheme is case-insensitive and surrounding blanks are ignored', () => {
    expect(presentedCredential(new Headers({ authorization: `  bearer \t${API_KEY}  ` }))).toEqual({ kind: 'api_key', value: API_KEY });
    expect(presentedCredential(new Headers({ authorization: `BEARER ${JWT}` }))).toEqual({ kind: 'access_token', value: JWT });
  });

  test('x-api-key always carries an API key', () => {
    expect(presentedCredential(new Headers({ 'x-api-key': ` ${API_KEY} ` }))).toEqual({ kind: 'api_key', value: API_KEY });
    expect(presentedCredential(new Headers({ 'x-api-key': JWT }))).toEqual({ kind: 'api_key', value: JWT });
  });

  test('the same key in both headers is accepted; two different credentials are refused', () => {
    expect(presentedCredential(new Headers({ authorization: `Bearer ${API_KEY}`, 'x-api-key': API_KEY }))).toEqual({ kind: 'api_key', value: API_KEY });
    const err = refusal({ authorization: `Bearer ${API_KEY}`, 'x-api-key': `${API_KEY}x` });
    expect(err.kind).toBe('unauthenticated');
    expect(err.message).toContain('not both');
  });

  test('no credential, an empty one, or a blank header is "missing credential"', () => {
    const cases: Record<string, string>[] = [{}, { authorization: 'Bearer ' }, { authorization: '   ' }, { 'x-api-key': '  ' }];
    for (const headers of cases) {
      const err = refusal(headers);
      expect(err.kind).toBe('unauthenticated');
      expect(err.message).toBe(MISSING_CREDENTIAL);
    }
    expect(MISSING_CREDENTIAL).toContain('Authorization: Bearer');
  });

  test('other schemes and malformed bearer values are refused without echoing them', () => {
    for (const authorization of [`Basic ${Buffer.from('u:p').toString('base64')}`, `Token ${API_KEY}`, `Bearer ${API_KEY} extra`, API_KEY]) {
      const err = refusal({ authorization });
      expect(err.kind).toBe('unauthenticated');
      expect(err.message).not.toContain(API_KEY);
      expect(err.message).not.toContain('dTpw');
    }
    expect(refusal({ authorization: `Basic dTpw` }).message).toContain('unsupported Authorization scheme');
  });

  test('an oversized credential is refused before anything parses it', () => {
    const err = refusal({ 'x-api-key': 'k'.repeat(20_000) });
    expect(err.message).toBe('the credential is too long');
  });
});

describe('credentialSource', () => {
  test('is the client address the server established, never a forwarded-for header', () => {
    expect(credentialSource(new Headers({ [CLIENT_ADDRESS_HEADER]: '203.0.113.7' }))).toBe('203.0.113.7');
    expect(credentialSource(new Headers({ 'x-forwarded-for': '203.0.113.7' }))).toBe('');
    expect(credentialSource(new Headers())).toBe('');
    expect(credentialSource(new Headers({ [CLIENT_ADDRESS_HEADER]: 'x'.repeat(100) }))).toBe('');
  });
});
