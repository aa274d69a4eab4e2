-- Sluice rate-limiting, one atomic step for every window of one identity: takes a lease of tokens.
-- KEYS[i]: the counter of window i, a hash {w = window number, c = count}; all KEYS share one hash tag,
--          so they live in one Redis Cluster slot.
-- ARGV[1]: the lease divisor d: a node takes at most 1/d of what is left of the tightest window (at least 1
--          token), so a generous limit costs one call per window, and a tight one one call per request.
-- ARGV[3i-1], ARGV[3i], ARGV[3i+1]: the period of window i in seconds, its limit, and what the caller owes
--          it: requests its local fallback admitted while Redis was slow or down, added to the count before
--          anything is decided (they were admitted already), whether this request is admitted or not.
-- Time comes from Redis (TIME), never from the callers, so nodes with skewed clocks share one window.
-- Either every window has room and the lease is counted in all of them, or only the debts are counted.
-- Returns {allowed (1|0), lease (tokens taken, the request's own included), remaining, milliseconds until
-- the earliest window ends (the lease is void after it), limit of the tightest window, seconds until every
-- refusing window has ended (Retry-After), seconds until the tightest window resets}.
local t = redis.call('TIME')
local now = tonumber(t[1])
local ms = math.floor(tonumber(t[2]) / 1000)
local d = tonumber(ARGV[1])
local n = #KEYS
local state = {}
local allowed = 1
local retry = 0
local lease = -1
local expires = -1
for i = 1, n do
  local period = tonumber(ARGV[3 * i - 1])
  local limit = tonumber(ARGV[3 * i])
  local owed = tonumber(ARGV[3 * i + 1])
  local window = math.floor(now / period)
  local v = redis.call('HMGET', KEYS[i], 'w', 'c')
  local c = 0
  if tonumber(v[1]) == window then
    c = tonumber(v[2]) or 0
  end
  c = c + owed
  state[i] = {window, c, period, limit, owed}
  local room = limit - c
  if room < 1 then
    allowed = 0
    local r = (window + 1) * period - now
    if r > retry then retry = r end
  else
    local b = math.max(1, math.floor(room / d))
    if lease < 0 or b < lease then lease = b end
  end
  local left = ((window + 1) * period - now) * 1000 - ms
  if expires < 0 or left < expires then expires = left end
end
if allowed == 0 then lease = 0 end
local remaining = -1
local lim = 0
local reset = 0
for i = 1, n do
  local window, c, period, limit, owed = state[i][1], state[i][2], state[i][3], state[i][4], state[i][5]
  if allowed == 1 then
    c = c + lease
  end
  if allowed == 1 or owed > 0 then
    redis.call('HSET', KEYS[i], 'w', window, 'c', c)
    redis.call('EXPIRE', KEYS[i], period + 1)
  end
  local rem = limit - c
  if rem < 0 then rem = 0 end
  if remaining < 0 or rem < remaining then
    remaining = rem
    lim = limit
    reset = (window + 1) * period - now
  end
end
return {allowed, lease, remaining, expires, lim, retry, reset}
