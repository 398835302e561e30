export { registerAdminServices } from './module.js';
export type { AdminHandlerDeps } from './handler-deps.js';
