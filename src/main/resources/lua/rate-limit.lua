-- Sluice rate-limiting, one atomic step for every window of one identity.
-- KEYS[i]: the counter of window i, a hash {w = window number, c = count}; all KEYS share one hash tag,
--          so they live in one Redis Cluster slot.
-- ARGV[2i-1], ARGV[2i]: the period of window i in seconds and its limit.
-- Time comes from Redis (TIME), never from the callers, so nodes with skewed clocks share one window.
-- Either every window admits the request and all are incremented, or none is.
-- Returns {allowed (1|0), remaining, reset seconds, limit} of the tightest window, and the seconds until
-- every refusing window has ended (Retry-After).
local now = tonumber(redis.call('TIME')[1])
local n = #KEYS
local state = {}
local allowed = 1
local retry = 0
for i = 1, n do
  local period = tonumber(ARGV[2 * i - 1])
  local limit = tonumber(ARGV[2 * i])
  local window = math.floor(now / period)
  local v = redis.call('HMGET', KEYS[i], 'w', 'c')
  local c = 0
  if tonumber(v[1]) == window then
    c = tonumber(v[2]) or 0
  end
  state[i] = {window, c, period, limit}
  if c + 1 > limit then
    allowed = 0
    local r = (window + 1) * period - now
    if r > retry then retry = r end
  end
end
local remaining = -1
local reset = 0
local lim = 0
for i = 1, n do
  local window, c, period, limit = state[i][1], state[i][2], state[i][3], state[i][4]
  if allowed == 1 then
    c = c + 1
    redis.call('HSET', KEYS[i], 'w', window, 'c', c)
    redis.call('EXPIRE', KEYS[i], period + 1)
  end
  local rem = limit - c
  if rem < 0 then rem = 0 end
  if remaining < 0 or rem < remaining then
    remaining = rem
    reset = (window + 1) * period - now
    lim = limit
  end
end
return {allowed, remaining, reset, lim, retry}
