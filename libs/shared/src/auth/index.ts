export { currentPrincipal, principalKey, requirePrincipal } from './principal-context.js';
export { isPublicMethod, methodAccess } from './method-access.js';
