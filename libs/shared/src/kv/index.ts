export type { Broadcast, KeyValueStore } from './ports.js';
export { MemoryKeyValueStore } from './memory-store.js';
export { RedisKeyValueStore } from './redis-store.js';
export { MemoryBroadcast, RedisBroadcast } from './broadcast.js';
