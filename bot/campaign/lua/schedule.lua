-- Put contacts on the schedule, each dispatch key once (HSETNX on the day's job records).
-- KEYS: jobs hash, schedule; ARGV: ttl, then (key, due, member) triples -> how many were new
local n = 0
for i = 2, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], 'queued') == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    n = n + 1
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return n
