import type { Authorizer } from '../../authorization.js';
import type { SessionRegistry } from '../session-registry.js';

export interface SessionHandlerDeps {
  authorizer: Authorizer;
  sessions: SessionRegistry;
}

export const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
