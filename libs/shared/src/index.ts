// @aegis/shared: the one runtime every Aegis service uses. Each folder is one concern.
export * from './config/index.js';
export * from './db/index.js';
export * from './envelope/index.js';
export * from './errors/index.js';
export * from './events/index.js';
export * from './health/index.js';
export * from './lifecycle/index.js';
export * from './logging/index.js';
export * from './metrics/index.js';
export * from './redis/index.js';
export * from './reflection/index.js';
export * from './runtime/index.js';
export * from './server/index.js';
export * from './telemetry/index.js';
export * from './validation/index.js';
