// A lock in Redis so that two schedulers (or two runs of one job) never run the same work at once. It expires on its
// own if its holder dies, is renewed while the work runs, and is released only by its holder.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Release or renew only when the lock still holds our token: never touch a lock another holder took after expiry.
const RELEASE_LUA = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const RENEW_LUA =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

export type LockOutcome<T> = { acquired: true; result: T } | { acquired: false; holder: string | null };

/** Runs `fn` while holding `key`; if someone else holds it, returns at once with who does. */
export async function withRedisLock<T>(
  redis: Redis,
  key: string,
  owner: string,
  ttlMillis: number,
  fn: () => Promise<T>,
): Promise<LockOutcome<T>> {
  const token = `${owner} ${randomUUID()}`;
  const taken = await redis.set(key, token, 'PX', ttlMillis, 'NX');
  if (taken !== 'OK') return { acquired: false, holder: (await redis.get(key))?.split(' ')[0] ?? null };
  const renew = setInterval(
    () => void redis.eval(RENEW_LUA, 1, key, token, String(ttlMillis)).catch(() => {}),
    Math.max(50, ttlMillis / 3),
  );
  try {
    return { acquired: true, result: await fn() };
  } finally {
    clearInterval(renew);
    await redis.eval(RELEASE_LUA, 1, key, token).catch(() => {});
  }
}
