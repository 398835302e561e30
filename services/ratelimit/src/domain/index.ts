export * from './headers.js';
export * from './limit.js';
export * from './limit-resolution.js';
export * from './tiers.js';
export * from './token-bucket.js';
