import { TokenService } from '@aegis/proto/aegis/auth/v1/token_service_pb.js';
import type { AuthDeps, AuthModule } from '../module-ports.js';

/** JWT signing keys, JWKS and discovery, access/refresh tokens, introspection and revocation. */
export async function createTokensModule(_deps: AuthDeps): Promise<AuthModule> {
  return {
    register(router) {
      router.service(TokenService, {});
    },
  };
}
