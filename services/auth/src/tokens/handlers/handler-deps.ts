import type { Authorizer } from '../../authorization.js';
import type { SigningAlgorithm } from '../domain/signing-algorithms.js';
import type { TokenLedger } from '../ports.js';
import type { RefreshThrottle } from '../refresh-throttle.js';
import type { SigningKeyRing } from '../signing-key-ring.js';
import type { TokenIntrospection } from '../token-introspection.js';
import type { TokenIssuance } from '../token-issuance.js';
import type { TokenRefresh } from '../token-refresh.js';
import type { TokenRevocation } from '../token-revocation.js';

/** What the TokenService handlers are built from (module.ts wires it once). */
export interface TokenHandlerDeps {
  authorizer: Authorizer;
  issuance: TokenIssuance;
  refresh: TokenRefresh;
  introspection: TokenIntrospection;
  revocation: TokenRevocation;
  ledger: TokenLedger;
  keys: SigningKeyRing;
  throttle: RefreshThrottle;
  defaultAlgorithm: SigningAlgorithm;
}
