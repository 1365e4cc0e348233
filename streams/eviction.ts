// Redis must never evict: an evicting maxmemory-policy would drop stream entries and dedup keys without a word, and
// "nothing lost" would no longer hold. Writers check the policy once per connection before their first write.
import type { Redis } from 'ioredis';
import { TerminalError } from '../core/errors.ts';

const checked = new WeakMap<Redis, Promise<void>>();

/** Resolves when the server's maxmemory-policy is noeviction; a TerminalError naming the fix otherwise. */
export function ensureNoEviction(redis: Redis): Promise<void> {
  let check = checked.get(redis);
  if (!check) {
    check = readPolicy(redis).then((policy) => {
      if (policy === undefined || policy === 'noeviction') return;
      throw new TerminalError(
        `Redis evicts keys under memory pressure (maxmemory-policy ${policy}): stream entries and dedup keys could vanish. ` +
          'Set `maxmemory-policy noeviction` in redis.conf (or run `redis-cli CONFIG SET maxmemory-policy noeviction`), then start again.',
      );
    });
    check.catch(() => checked.delete(redis)); // a lost connection is checked again on the next write
    checked.set(redis, check);
  }
  return check;
}

/** The policy, or undefined where CONFIG is not allowed (a managed Redis): said once, and not in the way. */
async function readPolicy(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    return reply[1];
  } catch (error) {
    if (!/unknown command|NOPERM|ERR/.test((error as Error).message)) throw error;
    console.error(
      `redis: cannot read maxmemory-policy (${(error as Error).message}); make sure it is noeviction, or events may be lost`,
    );
    return undefined;
  }
}
