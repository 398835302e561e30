// Concurrency leases: a sorted set of lease ids scored by expiry (ms, Redis clock) plus a
// hash of their holders, both under one hash tag. Expired members are dropped before every
// count, so a dead holder's slot frees itself at its expiry; both keys expire with the last
// lease, so an idle key leaves nothing behind.

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 1, #expired do redis.call('HDEL', KEYS[2], expired[i]) end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) end
local function keep_until_last()
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if #last == 0 then return end
  local ttl = string.format('%.0f', tonumber(last[2]) - now + 1000)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
`;

/** ARGV: lease id, holder, ttl ms, max concurrent. Reply: { acquired, active count, expire ms or earliest expiry ms, now ms }. */
export const ACQUIRE_SCRIPT = `${NOW}
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[4]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local earliest = now
  if #first > 0 then earliest = tonumber(first[2]) end
  return { 0, count, earliest, now }
end
local expire = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], string.format('%.0f', expire), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
keep_until_last()
return { 1, count + 1, expire, now }
`;

/** ARGV: lease id. Reply: 1 when a live lease was released. */
export const RELEASE_SCRIPT = `${NOW}
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return removed
`;

/** ARGV: lease id, ttl ms. Reply: { new expiry ms, holder } or nil when not live. */
export const RENEW_SCRIPT = `${NOW}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return nil end
local expire = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', expire), ARGV[1])
keep_until_last()
return { expire, redis.call('HGET', KEYS[2], ARGV[1]) or '' }
`;
