-- Take a slot of the global semaphore (contacts in flight across all workers); expired leases
-- (a dead worker's) are dropped first.
-- KEYS: semaphore zset; ARGV: limit, token, lease ms -> 1 acquired, 0 full
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  return 1
end
return 0
