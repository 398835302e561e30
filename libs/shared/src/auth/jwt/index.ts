// Access-token verification for every service's authentication interceptor (RFC 8725, RFC 9068).
export {
  ACCESS_TOKEN_TYP,
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
  MalformedClaimsError,
  principalFromClaims,
  type AccessTokenClaims,
} from './access-token-claims.js';
export { createAccessTokenVerifier, type AccessTokenVerifier, type AccessTokenVerifierOptions } from './access-token-verifier.js';
export { KeySetUnavailableError, remoteJwks, type RemoteJwksOptions } from './remote-jwks.js';
export { looksLikeJwt } from './looks-like-jwt.js';
export { localKeySet } from './local-key-set.js';
