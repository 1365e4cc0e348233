// The API's guards: a token-bucket rate limit per client, API keys for admin actions, and the client's address.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { apiError } from './errors.ts';

export interface RateLimitOptions {
  /** Requests a client may make per minute (and in one burst); 0 turns the limit off. */
  requestsPerMinute: number;
  clientOf: (c: Context) => string;
  /** Clients tracked at most; the fullest buckets are forgotten first (they are the least limited). */
  maxClients?: number;
  now?: () => number;
}

/** Answers 429 with Retry-After once a client has spent its bucket; refills continuously. */
export function rateLimit({
  requestsPerMinute,
  clientOf,
  maxClients = 100_000,
  now = Date.now,
}: RateLimitOptions): MiddlewareHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMillis = requestsPerMinute / 60_000;
  return async (c, next) => {
    if (requestsPerMinute === 0) return next();
    const client = clientOf(c);
    const t = now();
    let bucket = buckets.get(client);
    if (bucket) {
      bucket.tokens = Math.min(requestsPerMinute, bucket.tokens + (t - bucket.at) * perMillis);
      bucket.at = t;
    } else {
      if (buckets.size >= maxClients) sweep(buckets, requestsPerMinute, perMillis, t, maxClients);
      bucket = { tokens: requestsPerMinute, at: t };
      buckets.set(client, bucket);
    }
    c.header('RateLimit-Limit', String(requestsPerMinute));
    if (bucket.tokens < 1) {
      const retrySeconds = Math.ceil((1 - bucket.tokens) / perMillis / 1000);
      apiError(
        429,
        `more than ${requestsPerMinute} requests a minute from ${client}; retry in ${retrySeconds} s`,
        'rate_limited',
        {
          'Retry-After': String(retrySeconds),
          'RateLimit-Limit': String(requestsPerMinute),
          'RateLimit-Remaining': '0',
        },
      );
    }
    bucket.tokens -= 1;
    c.header('RateLimit-Remaining', String(Math.floor(bucket.tokens)));
    return next();
  };
}

/** Drops buckets that have refilled (they limit nothing); if none has, the oldest half. */
function sweep(
  buckets: Map<string, { tokens: number; at: number }>,
  capacity: number,
  perMillis: number,
  t: number,
  maxClients: number,
): void {
  for (const [client, b] of buckets) if (b.tokens + (t - b.at) * perMillis >= capacity) buckets.delete(client);
  if (buckets.size < maxClients) return;
  let drop = Math.floor(buckets.size / 2);
  for (const client of buckets.keys()) {
    if (drop-- <= 0) break;
    buckets.delete(client);
  }
}

/**
 * The client's address: the socket's, or behind a trusted proxy the last X-Forwarded-For hop, the one that proxy
 * appended (hops to its left come from the client, who can write anything there).
 */
export function clientAddress(trustProxy: boolean): (c: Context) => string {
  return (c) => {
    if (trustProxy) {
      const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
      if (forwarded) return forwarded;
    }
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
    return incoming?.socket?.remoteAddress ?? 'local';
  };
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/** Whether the request carries one of the keys (read routes show key holders full error texts). */
export function isKeyHolder(keys: readonly string[]): (c: Context) => boolean {
  const known = keys.map(digest);
  return (c) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match || !known.length) return false;
    const given = digest(match[1]!);
    return known.some((k) => timingSafeEqual(k, given));
  };
}

/** Admin routes need `Authorization: Bearer <key>` with one of the configured keys (compared in constant time). */
export function requireApiKey(keys: readonly string[]): MiddlewareHandler {
  const holds = isKeyHolder(keys);
  return async (c, next) => {
    if (keys.length === 0)
      apiError(
        403,
        'admin actions are off: set STRATA_API_KEYS (comma-separated keys) and send one as "Authorization: Bearer <key>"',
        'admin_disabled',
      );
    if (!/^Bearer\s+\S+$/i.test(c.req.header('authorization') ?? ''))
      apiError(401, 'this action needs an API key: send "Authorization: Bearer <key>"', 'unauthorized');
    if (!holds(c)) apiError(401, 'the API key is not one of STRATA_API_KEYS', 'unauthorized');
    return next();
  };
}
