-- Finish a job in one step: mark it done, acknowledge and delete its entry, log the outcome and
-- schedule the retry the strategy asks for (each retry key once).
-- KEYS: jobs hash, stream, outcomes, schedule, retry jobs hash
-- ARGV: key, outcome, group, entry id, worker, account, channel, at, [retry key, due, member],
--       outcomes maxlen
redis.call('HSET', KEYS[1], ARGV[1], 'done|' .. ARGV[2])
if ARGV[4] ~= '' then
  redis.call('XACK', KEYS[2], ARGV[3], ARGV[4])
  redis.call('XDEL', KEYS[2], ARGV[4])
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[12], '*', 'key', ARGV[1], 'outcome', ARGV[2],
  'worker', ARGV[5], 'account_id', ARGV[6], 'channel', ARGV[7], 'at', ARGV[8])
if ARGV[9] ~= '' then
  if redis.call('HSETNX', KEYS[5], ARGV[9], 'queued') == 1 then
    redis.call('ZADD', KEYS[4], ARGV[10], ARGV[11])
  end
end
return 1
