// The token bucket step of domain/token-bucket.ts, in Lua, so that reading, deciding and
// writing every bucket of a check is one atomic step on one round trip, timed by Redis's
// own clock (TIME), never the caller's.
//
// Layout: one hash per owner (tenant, key), one field per limit name, so a check costs the
// same few commands however many limits apply (HMGET, HSET and, now and then, PEXPIREAT),
// and all of an owner's buckets are one key (one Redis Cluster slot by construction).
//   field <limit name>: struct '<ddd' = used units, at (µs, Redis clock), units per token
//                       (doubles: every value stays below 2^53, see domain/limit.ts)
//   field ':exp':       the absolute expiry (ms) last given to the hash (':' is not allowed
//                       in limit names, so it cannot collide).
// An absent field is a full bucket. The hash expires once every bucket in it would be full
// again; the expiry is extended with EXPIRY_SLACK_MS to spare, so most steps need no
// PEXPIREAT, and idle owners cost nothing after at most that much longer.
//
// One call may carry the steps of several checks (checks issued together are sent together,
// redis-bucket-store.ts); they run one after another, each seeing the ones before, at one
// instant of Redis's clock.
// KEYS: the owners' hashes, one per step (the same owner may come more than once).
// ARGV: the number of limit lists L, then each list: n, limit names 1..n, then per limit units
//       per token, refill units per µs, capacity (decimal integers: cheaper for the client to
//       send than binary, and as cheap for Lua); then per step in KEYS' order: op ("c"
//       consume, "p" peek, "r" refund), cost, the index of its list (1..L). Steps with the same
//       limits (a tier, a limit set) share one list, read once per call.
// Reply, per step: allowed (1/0), used units per limit.
export const EXPIRY_SLACK_MS = 60_000;

export const BUCKET_SCRIPT = `
local unpack, sunpack, spack, ceil, tonumber = unpack, struct.unpack, struct.pack, math.ceil, tonumber
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

-- The limit lists of this call, each read once.
local lists = {}
local cursor = 2
for l = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[cursor])
  local fields, upts, refills, caps = {}, {}, {}, {}
  for i = 1, n do
    fields[i] = ARGV[cursor + i]
    local p = cursor + n - 2 + 3 * i
    upts[i], refills[i], caps[i] = tonumber(ARGV[p]), tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
  end
  fields[n + 1] = ':exp'
  lists[l] = { n = n, fields = fields, upts = upts, refills = refills, caps = caps }
  cursor = cursor + 1 + 4 * n
end

local reply = {}
local function step(key, op, cost, list)
  local n, fields, upts, refills, caps = list.n, list.fields, list.upts, list.refills, list.caps
  local raws = redis.call('HMGET', key, unpack(fields))
  local used, at = {}, {}
  local allowed = 1
  for i = 1, n do
    local upt, refill = upts[i], refills[i]
    local u, a = 0, now
    local raw = raws[i]
    if raw then
      local u0, t0, upt0 = sunpack('<ddd', raw)
      if upt0 ~= upt then u0 = math.min(caps[i], ceil(u0 / upt0 * upt)) end
      if t0 > now then a = t0 end
      local elapsed = a - t0
      if elapsed < ceil(u0 / refill) then u = u0 - elapsed * refill end
    end
    used[i], at[i] = u, a
    if op == 'c' and u + cost * upt > caps[i] then allowed = 0 end
  end
  reply[#reply + 1] = allowed
  if op == 'p' or allowed == 0 then
    for i = 1, n do reply[#reply + 1] = used[i] end
    return
  end
  local set, del, drain = {}, {}, 0
  for i = 1, n do
    local u
    if op == 'c' then u = used[i] + cost * upts[i] else u = math.max(0, used[i] - cost * upts[i]) end
    if u > 0 then
      set[#set + 1] = fields[i]
      set[#set + 1] = spack('<ddd', u, at[i], upts[i])
      local d = ceil(u / refills[i])
      if d > drain then drain = d end
    else
      del[#del + 1] = fields[i]
    end
    reply[#reply + 1] = u
  end
  if #set > 0 then
    local need = ceil((now + drain) / 1000) + 1000
    local exp = tonumber(raws[n + 1])
    if exp == nil or need > exp then
      exp = string.format('%.0f', need + ${EXPIRY_SLACK_MS})
      set[#set + 1] = ':exp'
      set[#set + 1] = exp
      redis.call('HSET', key, unpack(set))
      redis.call('PEXPIREAT', key, exp)
    else
      redis.call('HSET', key, unpack(set))
    end
  end
  if #del > 0 then
    redis.call('HDEL', key, unpack(del))
    -- Only ':exp' left: every bucket is full, nothing to keep.
    if redis.call('HLEN', key) <= 1 then redis.call('DEL', key) end
  end
end

for k = 1, #KEYS do
  step(KEYS[k], ARGV[cursor], tonumber(ARGV[cursor + 1]), lists[tonumber(ARGV[cursor + 2])])
  cursor = cursor + 3
end
return reply
`;
