-- Extend the leases still held (the heartbeat), never re-creating a released one (XX).
-- KEYS: semaphore zset; ARGV: lease ms, tokens...
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
end
return 1
