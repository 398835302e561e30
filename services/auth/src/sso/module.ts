import { IdentityProviderService } from '@aegis/proto/aegis/auth/v1/identity_provider_service_pb.js';
import { OAuthService } from '@aegis/proto/aegis/auth/v1/oauth_service_pb.js';
import { SessionService } from '@aegis/proto/aegis/auth/v1/session_service_pb.js';
import type { AuthDeps, AuthModule } from '../module-ports.js';

/** Identity providers, OAuth 2.0 / OIDC login, sessions and the enterprise SSO rules. */
export async function createSsoModule(_deps: AuthDeps): Promise<AuthModule> {
  return {
    register(router) {
      router.service(IdentityProviderService, {});
      router.service(OAuthService, {});
      router.service(SessionService, {});
    },
  };
}
