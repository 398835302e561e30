import { create } from '@bufbuild/protobuf';
import { type GetJwksResponse, GetJwksResponseSchema } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import { JwkSchema } from '@aegis/proto/aegis/auth/v1/token_pb.js';
import type { SigningKeyRing } from '../signing-key-ring.js';

/** GetJwks (public): the same keys as /.well-known/jwks.json. */
export function getJwks(keys: SigningKeyRing): GetJwksResponse {
  return create(GetJwksResponseSchema, {
    keys: keys.jwks().keys.map((jwk) => create(JwkSchema, {
      kid: jwk.kid ?? '',
      kty: jwk.kty ?? '',
      alg: jwk.alg ?? '',
      use: jwk.use ?? '',
      crv: jwk.crv ?? '',
      x: jwk.x ?? '',
      y: jwk.y ?? '',
      n: jwk.n ?? '',
      e: jwk.e ?? '',
    })),
  });
}
