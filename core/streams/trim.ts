// Trim after commit (DESIGN.md contract 9): a stream keeps only the entries some consumer group may still need.
// An entry below the oldest one still pending in any group, and at or below every group's last delivered id, has been
// committed to the lake and acknowledged by everyone: it leaves Redis. One Lua script reads the groups and trims, so no
// delivery, claim or acknowledge can slip in between the two.
import type { Redis } from 'ioredis';
import { TransientError } from '../errors.ts';

// KEYS[1] = stream. Returns the number of entries removed. A stream without a group keeps everything: nothing has
// consumed it yet. Ids compare as (milliseconds, sequence) pairs, both exact in Lua's doubles for real stream ids.
const TRIM_LUA = `
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

type WithTrim = Redis & { strataTrim(numKeys: number, stream: string): Promise<number> };

/** Removes the entries of `stream` that every consumer group has acknowledged; returns how many left Redis. */
export async function trimAcknowledged(redis: Redis, stream: string): Promise<number> {
  if (!('strataTrim' in redis)) redis.defineCommand('strataTrim', { lua: TRIM_LUA });
  try {
    return await (redis as WithTrim).strataTrim(1, stream);
  } catch (error) {
    throw new TransientError(`Redis refused to trim ${stream}`, { cause: error });
  }
}
