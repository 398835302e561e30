export { currentPrincipal, principalKey, requirePrincipal } from './principal-context.js';
export { isPublicMethod, methodAccess } from './method-access.js';
export { createCredentialEvents, type CredentialEvent, type CredentialEvents } from './credential-events.js';
