-- Put a contact back on the schedule under the same key (the window was closed at dispatch).
-- KEYS: jobs hash, stream, schedule; ARGV: key, group, entry id, due, member
redis.call('HSET', KEYS[1], ARGV[1], 'queued')
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
redis.call('XDEL', KEYS[2], ARGV[3])
return 1
