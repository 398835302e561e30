// Test helpers for real backends: each gives a test file its own isolated database,
// Redis key prefix or Kafka topic names, and fails (never skips) when the backend is down.
export * from './kafka.js';
export * from './postgres.js';
export * from './redis.js';
export * from './redis-cluster.js';
export * from './grpc-js.js';
