// Trim after commit (DESIGN.md contract 9): a stream keeps only the entries some consumer group may still need.
// An entry below the oldest one still pending in any group, and at or below every group's last delivered id, has been
// committed to the lake and acknowledged by everyone: it leaves Redis. One Lua script reads the groups and trims, so no
// delivery, claim or acknowledge can slip in between the two.
import type { Redis } from 'ioredis';
import { TransientError } from '../core/errors.ts';

// KEYS[1] = stream. Returns the number of entries removed. A stream without a group keeps everything: nothing has
// consumed it yet. Ids compare as (milliseconds, sequence) pairs, both exact in Lua's doubles for real stream ids.
const TRIM_BODY = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
local keep = nil
for _, g in ipairs(groups) do
  local f = {}
  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
  local ms, seq = string.match(f['last-delivered-id'], '^(%d+)-(%d+)$')
  local needed = ms .. '-' .. string.format('%d', tonumber(seq) + 1)
  if tonumber(f['pending']) > 0 then
    local oldest = redis.call('XPENDING', KEYS[1], f['name'])[2]
    if less(oldest, needed) then needed = oldest end
  end
  if keep == nil or less(needed, keep) then keep = needed end
end
return redis.call('XTRIM', KEYS[1], 'MINID', keep)
`;
const TRIM_LUA = `local function trim()${TRIM_BODY}end
return trim()`;

// KEYS[1] = stream, ARGV[1] = group, ARGV[2] = the entry ids, separated by spaces (one argument: Node need not encode
// tens of thousands). Acknowledges them, then trims; returns the number of entries removed.
const ACK_AND_TRIM_LUA = `
local ids, n = {}, 0
for id in string.gmatch(ARGV[2], '%S+') do
  n = n + 1
  ids[n] = id
  if n == 1000 then redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)); ids, n = {}, 0 end
end
if n > 0 then redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)) end
local function trim()${TRIM_BODY}end
return trim()`;

type WithTrim = Redis & {
  strataTrim(numKeys: number, stream: string): Promise<number>;
  strataAckTrim(numKeys: number, stream: string, group: string, ids: string): Promise<number>;
};

const define = (redis: Redis) => {
  if (!('strataTrim' in redis)) redis.defineCommand('strataTrim', { lua: TRIM_LUA });
  if (!('strataAckTrim' in redis)) redis.defineCommand('strataAckTrim', { lua: ACK_AND_TRIM_LUA });
  return redis as WithTrim;
};

/** Removes the entries of `stream` that every consumer group has acknowledged; returns how many left Redis. */
export async function trimAcknowledged(redis: Redis, stream: string): Promise<number> {
  try {
    return await define(redis).strataTrim(1, stream);
  } catch (error) {
    throw new TransientError(`Redis refused to trim ${stream}`, { cause: error });
  }
}

/** Acknowledges entries for a consumer group and trims what every group has acknowledged, in one atomic step. */
export async function acknowledgeAndTrim(
  redis: Redis,
  stream: string,
  group: string,
  ids: readonly string[],
): Promise<number> {
  try {
    return await define(redis).strataAckTrim(1, stream, group, ids.join(' '));
  } catch (error) {
    throw new TransientError(`Redis refused to acknowledge and trim ${stream}`, { cause: error });
  }
}
