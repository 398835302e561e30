// The bucket script as it was before the hash layout (one string key per limit, GET and SET
// per window, values "used:at:units per token"), kept only so that
// bench/ratelimit-redis-path.ts can measure old against new in the same run. Not used by
// the service.
export const PREVIOUS_BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local op = ARGV[1]
local cost = tonumber(ARGV[2])
local n = #KEYS
local used, at, upts, refills = {}, {}, {}, {}
local allowed = 1
for i = 1, n do
  local base = 3 * i
  local upt, refill, cap = tonumber(ARGV[base]), tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2])
  upts[i], refills[i] = upt, refill
  local u, a = 0, now
  local raw = redis.call('GET', KEYS[i])
  if raw then
    local s1 = string.find(raw, ':', 1, true)
    local s2 = string.find(raw, ':', s1 + 1, true)
    local u0 = tonumber(string.sub(raw, 1, s1 - 1))
    local t0 = tonumber(string.sub(raw, s1 + 1, s2 - 1))
    local upt0 = tonumber(string.sub(raw, s2 + 1))
    if upt0 ~= upt then u0 = math.min(cap, math.ceil(u0 / upt0 * upt)) end
    if t0 > now then a = t0 end
    local elapsed = a - t0
    if elapsed < math.ceil(u0 / refill) then u = u0 - elapsed * refill end
  end
  used[i], at[i] = u, a
  if op == 'c' and u + cost * upt > cap then allowed = 0 end
end
if op == 'p' or allowed == 0 then
  local reply = { allowed }
  for i = 1, n do reply[i + 1] = used[i] end
  return reply
end
local reply = { 1 }
for i = 1, n do
  local u
  if op == 'c' then u = used[i] + cost * upts[i] else u = math.max(0, used[i] - cost * upts[i]) end
  if u > 0 then
    local ttl = math.ceil(math.ceil(u / refills[i]) / 1000) + 1
    redis.call('SET', KEYS[i], string.format('%.0f:%.0f:%.0f', u, at[i], upts[i]), 'PX', string.format('%.0f', ttl))
  else
    redis.call('DEL', KEYS[i])
  end
  reply[i + 1] = u
end
return reply
`;
