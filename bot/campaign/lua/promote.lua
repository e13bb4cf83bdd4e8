-- Move the contacts due by now from the schedule into the dispatch stream, atomically: any
-- worker may run it, and none moves a member twice.
-- KEYS: schedule, stream; ARGV: now, limit
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'c', member)
  redis.call('ZREM', KEYS[1], member)
end
return #due
