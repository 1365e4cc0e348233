// The REST collector: pages through a JSON API and yields each record's JSON text. Pagination by next URL, page
// number, offset, cursor or Link header; network errors, 429 and 5xx are retried with backoff (honouring
// Retry-After), other 4xx stop the run; an optional rate limit; an optional incremental cursor (e.g. updated_since)
// read from the run's state at start and proposed back at the end (the runner saves it once everything is published).
import { TerminalError, TransientError } from '../../../core/errors.ts';
import { sleep as realSleep, withRetry } from '../../../core/retry.ts';
import type { CollectContext, RawRecord } from '../../source.ts';

export type Pagination =
  /** The body names the next page's URL (absolute or relative); absent or null ends. */
  | { kind: 'next-url'; nextPath: string }
  /** `?<param>=1,2,…`; an empty page ends. */
  | { kind: 'page'; param: string; sizeParam?: string; size?: number; first?: number }
  /** `?<param>=0,limit,2·limit,…`; a short page ends. */
  | { kind: 'offset'; param: string; limitParam: string; limit: number }
  /** `?<param>=<cursor from the previous body>`; an absent cursor ends. */
  | { kind: 'cursor'; param: string; cursorPath: string }
  /** RFC 8288 `Link: <…>; rel="next"` header; none ends. */
  | { kind: 'link-header' };

export interface IncrementalOptions {
  /** Query parameter that asks for records changed since the cursor, e.g. `updated_since`. */
  param: string;
  /** Field of each record whose largest value becomes the next cursor, e.g. `updated_at` (compared as strings: ISO times sort). */
  field: string;
}

export interface HttpCollectorOptions {
  /** The first page's URL. */
  url: string;
  /** Dot path to the array of records in a page body, e.g. `data`; empty when the body is the array itself. */
  recordsPath: string;
  pagination: Pagination;
  incremental?: IncrementalOptions;
  headers?: Record<string, string>;
  timeoutMillis?: number;
  maxAttempts?: number;
  /** At most this many requests a second (default: unlimited). */
  maxRequestsPerSecond?: number;
  /** Stops after this many pages: a guard against an API that links to itself forever. */
  maxPages?: number;
  /** For tests: how the collector waits (rate limit, Retry-After). */
  sleep?: (millis: number) => Promise<void>;
}

const get = (value: unknown, dotPath: string): unknown =>
  dotPath
    ? dotPath
        .split('.')
        .reduce<unknown>(
          (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
          value,
        )
    : value;

/** The `rel="next"` target of a Link header, if any. */
export function nextFromLinkHeader(header: string | null): string | undefined {
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (match && /rel="?([^";]*\s)?next(\s[^";]*)?"?/.test(match[2]!)) return match[1];
  }
  return undefined;
}

/** Checks the options up front, then returns the collector. */
export function httpCollector(
  options: HttpCollectorOptions,
): (context?: Partial<CollectContext>) => AsyncGenerator<RawRecord> {
  const problems: string[] = [];
  try {
    new URL(options.url);
  } catch {
    problems.push(`url "${options.url}" is not an absolute URL; include the scheme, e.g. http://host:port/path`);
  }
  const p = options.pagination;
  if (!p) problems.push('pagination is required: next-url, page, offset, cursor or link-header');
  if (p?.kind === 'offset' && !(p.limit > 0)) problems.push('pagination.limit must be > 0');
  if (options.maxRequestsPerSecond !== undefined && !(options.maxRequestsPerSecond > 0))
    problems.push('maxRequestsPerSecond must be > 0');
  if (options.incremental && (!options.incremental.param || !options.incremental.field))
    problems.push('incremental needs both param and field');
  if (problems.length)
    throw new TerminalError(`httpCollector: invalid options:\n${problems.map((x) => `- ${x}`).join('\n')}`);
  const { timeoutMillis = 15_000, maxAttempts = 5, maxPages = 100_000, sleep = realSleep } = options;
  const spacingMillis = options.maxRequestsPerSecond ? 1000 / options.maxRequestsPerSecond : 0;
  let lastRequestAt = Number.NEGATIVE_INFINITY;

  async function fetchPage(url: string): Promise<{ body: unknown; link: string | null }> {
    return withRetry(
      async () => {
        const wait = lastRequestAt + spacingMillis - Date.now();
        if (wait > 0) await sleep(wait);
        lastRequestAt = Date.now();
        let response: Response;
        try {
          response = await fetch(url, {
            headers: { accept: 'application/json', ...options.headers },
            signal: AbortSignal.timeout(timeoutMillis),
          });
        } catch (error) {
          throw new TransientError(`GET ${url} failed: network error`, { cause: error });
        }
        if (response.status === 429 || response.status >= 500) {
          const retryAfterSeconds = Number(response.headers.get('retry-after'));
          if (retryAfterSeconds > 0) await sleep(Math.min(retryAfterSeconds, 60) * 1000);
          throw new TransientError(`GET ${url} answered ${response.status}`);
        }
        if (!response.ok)
          throw new TerminalError(
            `GET ${url} answered ${response.status} ${response.statusText}; check the source's URL and credentials`,
          );
        const text = await response.text();
        try {
          return { body: JSON.parse(text) as unknown, link: response.headers.get('link') };
        } catch (error) {
          throw new TerminalError(
            `GET ${url} returned a body that is not JSON (first bytes: ${JSON.stringify(text.slice(0, 80))})`,
            { cause: error },
          );
        }
      },
      { attempts: maxAttempts },
    );
  }

  const withParams = (base: string, params: Record<string, string | number>) => {
    const u = new URL(base);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
    return u.toString();
  };

  return async function* collectHttp(context: Partial<CollectContext> = {}): AsyncGenerator<RawRecord> {
    const inc = options.incremental;
    const since = inc ? await context.state?.get('cursor') : undefined;
    let newest = since;
    let url: string | undefined =
      since !== undefined && inc ? withParams(options.url, { [inc.param]: since }) : options.url;
    const first = url;
    if (p.kind === 'page')
      url = withParams(first, { [p.param]: p.first ?? 1, ...(p.sizeParam && p.size ? { [p.sizeParam]: p.size } : {}) });
    if (p.kind === 'offset') url = withParams(first, { [p.param]: 0, [p.limitParam]: p.limit });
    let page = p.kind === 'page' ? (p.first ?? 1) : 0;
    let offset = 0;
    for (let n = 0; url && n < maxPages; n++) {
      const { body, link } = await fetchPage(url);
      const records = get(body, options.recordsPath);
      if (!Array.isArray(records))
        throw new TerminalError(
          `GET ${url}: "${options.recordsPath}" is not an array in the response; check recordsPath`,
        );
      for (const record of records) {
        if (inc) {
          const value = (record as Record<string, unknown> | null)?.[inc.field];
          if (typeof value === 'string' && (newest === undefined || value > newest)) newest = value;
        }
        // A JSON API delivers records inside one document: each record's JSON text is its raw form.
        yield { text: JSON.stringify(record) };
      }
      const current: string = url;
      url = undefined;
      if (p.kind === 'next-url') {
        const next = get(body, p.nextPath);
        if (typeof next === 'string' && next) url = new URL(next, current).toString();
      } else if (p.kind === 'page') {
        if (records.length) url = withParams(current, { [p.param]: ++page });
      } else if (p.kind === 'offset') {
        offset += records.length;
        if (records.length >= p.limit) url = withParams(current, { [p.param]: offset });
      } else if (p.kind === 'cursor') {
        const cursor = get(body, p.cursorPath);
        if ((typeof cursor === 'string' && cursor) || typeof cursor === 'number')
          url = withParams(current, { [p.param]: cursor });
      } else {
        const next = nextFromLinkHeader(link);
        if (next) url = new URL(next, current).toString();
      }
    }
    if (inc && newest !== undefined && newest !== since) context.state?.propose('cursor', newest);
  };
}
