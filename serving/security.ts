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

/**
 * An API key and what it may do (STRATA_API_KEYS entries: `<key>` alone is an admin key; `<key>@<scope>+<scope>`
 * names its scopes). Scopes: `admin` (everything), `read:<pattern>` (the gold tables, and the pipelines' routes, whose
 * names match the pattern; `*` is any run of characters), `read:operations` (runs, quality, streams, the lake's
 * catalog, live events, metrics), `read:sensitive` (encrypted values in clear, in what the key may read).
 */
export interface ApiKey {
  secret: string;
  scopes: readonly string[];
}

const SCOPE = /^(admin|read:operations|read:[a-z0-9_*]+)$/;

/** Reads STRATA_API_KEYS entries; every problem is listed (the key itself never is). */
export function parseApiKeys(entries: readonly string[]): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const at = entry.lastIndexOf('@');
    const secret = at < 0 ? entry : entry.slice(0, at);
    const scopes =
      at < 0
        ? ['admin']
        : entry
            .slice(at + 1)
            .split('+')
            .filter(Boolean);
    if (secret.length < 24) problems.push(`key ${i + 1}: needs ≥ 24 characters (e.g. \`openssl rand -hex 24\`)`);
    if (!scopes.length)
      problems.push(`key ${i + 1}: no scope after @ (admin, read:<table pattern>, read:operations, read:sensitive)`);
    for (const scope of scopes)
      if (!SCOPE.test(scope))
        problems.push(
          `key ${i + 1}: unknown scope "${scope}" (admin, read:<table pattern>, read:operations, read:sensitive)`,
        );
    keys.push({ secret, scopes });
  });
  return { keys, problems };
}

/** Whether a pattern of `read:<pattern>` covers a name (a table's, or a pipeline's). */
const covers = (pattern: string, name: string) =>
  new RegExp(`^${pattern.replaceAll('*', '.*')}$`).test(name.toLowerCase());

/** Who is asking: the scopes of the key sent, or none for an anonymous request. */
export interface Reader {
  key: boolean;
  scopes: readonly string[];
}

/** read: scopes that name a kind of data, not a table pattern. */
const NOT_PATTERNS = new Set(['read:operations', 'read:sensitive']);

const ANONYMOUS: Reader = { key: false, scopes: [] };
const BEARER = /^Bearer\s+(\S+)$/i;

/** What a reader may read; in open mode (STRATA_API_READ=open) an anonymous reader reads everything but admin. */
export class ReadPolicy {
  private readonly known: { digest: Buffer; key: ApiKey }[];

  constructor(
    keys: readonly ApiKey[],
    readonly mode: 'open' | 'key',
  ) {
    this.known = keys.map((key) => ({ digest: digest(key.secret), key }));
  }

  /** The configured key a well-formed `Authorization: Bearer <key>` names (compared in constant time), if any. */
  private keyOf(c: Context): ApiKey | undefined {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    if (!match) return undefined;
    const given = digest(match[1]!);
    return this.known.find((k) => timingSafeEqual(k.digest, given))?.key;
  }

  /** Whether the request carries one of the keys, any scope (read routes show key holders full error texts). */
  holdsKey(c: Context): boolean {
    return this.keyOf(c) !== undefined;
  }

  /** The request's reader; a bearer key that is not configured is refused (401), whatever the mode. */
  readerOf(c: Context): Reader {
    const header = c.req.header('authorization');
    if (header === undefined) return ANONYMOUS;
    if (!BEARER.test(header)) apiError(401, 'send the API key as "Authorization: Bearer <key>"', 'unauthorized');
    const found = this.keyOf(c);
    if (!found) apiError(401, 'the API key is not one of STRATA_API_KEYS', 'unauthorized');
    return { key: true, scopes: found.scopes };
  }

  /** Admin routes need `Authorization: Bearer <key>` with a key of scope admin. */
  adminOnly(): MiddlewareHandler {
    const enabled = this.known.some((k) => k.key.scopes.includes('admin'));
    return async (c, next) => {
      if (!enabled)
        apiError(
          403,
          'admin actions are off: set STRATA_API_KEYS (comma-separated keys) and send one as "Authorization: Bearer <key>"',
          'admin_disabled',
        );
      if (!BEARER.test(c.req.header('authorization') ?? ''))
        apiError(401, 'this action needs an API key: send "Authorization: Bearer <key>"', 'unauthorized');
      if (!this.readerOf(c).scopes.includes('admin')) apiError(403, 'this key lacks the scope admin', 'forbidden');
      return next();
    };
  }

  /** Whether the reader may read a table (or a pipeline's routes) of this name. */
  mayRead(reader: Reader, name: string): boolean {
    if (!reader.key) return this.mode === 'open';
    return reader.scopes.some(
      (s) => s === 'admin' || (s.startsWith('read:') && !NOT_PATTERNS.has(s) && covers(s.slice(5), name)),
    );
  }

  /** Whether the reader sees encrypted values in clear: a key with read:sensitive or admin, never an anonymous reader. */
  maySeeSensitive(reader: Reader): boolean {
    return reader.key && reader.scopes.some((s) => s === 'admin' || s === 'read:sensitive');
  }

  /** Whether the reader may read the operational routes. */
  mayOperate(reader: Reader): boolean {
    if (!reader.key) return this.mode === 'open';
    return reader.scopes.some((s) => s === 'admin' || s === 'read:operations');
  }

  /** Refuses a reader who may not: 401 without a key (in key mode), 403 with one that lacks the scope. */
  require(reader: Reader, allowed: boolean, scope: string): void {
    if (allowed) return;
    if (!reader.key)
      apiError(
        401,
        `reads need an API key (STRATA_API_READ=key): send "Authorization: Bearer <key>" with ${scope}`,
        'unauthorized',
      );
    apiError(403, `this key lacks the scope ${scope}`, 'forbidden');
  }
}
