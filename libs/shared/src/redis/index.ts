export {
  closeRedis,
  createRedis,
  redisPing,
  redisReconnectDelay,
  REDIS_CONNECTION_POLICY,
  type RedisClient,
  type RedisClientOptions,
} from './create-redis.js';
export { createRedisPubSub, type RedisPubSub, type SubscribeOptions } from './pubsub.js';
export { parseRedisUrl, redactRedisUrl, RedisUrlError, type RedisNode, type RedisTarget } from './redis-url.js';
