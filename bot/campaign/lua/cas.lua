-- Compare-and-set a job's record: how two workers never both start a job.
-- KEYS: jobs hash; ARGV: key, expected state, new state -> 1 if swapped
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current == false then current = '' end
if current == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
