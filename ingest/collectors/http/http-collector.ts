// The REST collector: follows a JSON API's pages and yields each record's JSON text.
// Network errors, 429 and 5xx are retried with backoff (honouring Retry-After); other 4xx stop the run.
import { TerminalError, TransientError } from '../../../core/errors.ts';
import { sleep, withRetry } from '../../../core/retry.ts';
import type { RawRecord } from '../../source.ts';

export interface HttpCollectorOptions {
  /** The first page's URL. */
  url: string;
  /** Dot path to the array of records in a page body, e.g. `data` or `result.items`. */
  recordsPath: string;
  /** Dot path to the next page's URL (absolute or relative) in a page body; absent or null ends the run. */
  nextPath: string;
  headers?: Record<string, string>;
  timeoutMillis?: number;
  maxAttempts?: number;
  /** Stops after this many pages: a guard against an API that links to itself forever. */
  maxPages?: number;
}

const get = (value: unknown, dotPath: string): unknown =>
  dotPath.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);

/** Checks the options up front, then returns the collector. */
export function httpCollector(options: HttpCollectorOptions): () => AsyncGenerator<RawRecord> {
  try {
    new URL(options.url);
  } catch {
    throw new TerminalError(`httpCollector: url "${options.url}" is not an absolute URL; include the scheme, e.g. http://host:port/path`);
  }
  if (!options.recordsPath) throw new TerminalError('httpCollector: recordsPath is required (the dot path to the records array, e.g. "data")');
  const { timeoutMillis = 15_000, maxAttempts = 5, maxPages = 100_000 } = options;

  async function fetchPage(url: string): Promise<unknown> {
    return withRetry(
      async () => {
        let response: Response;
        try {
          response = await fetch(url, { headers: { accept: 'application/json', ...options.headers }, signal: AbortSignal.timeout(timeoutMillis) });
        } catch (error) {
          throw new TransientError(`GET ${url} failed: network error`, { cause: error });
        }
        if (response.status === 429 || response.status >= 500) {
          const retryAfterSeconds = Number(response.headers.get('retry-after'));
          if (retryAfterSeconds > 0) await sleep(Math.min(retryAfterSeconds, 60) * 1000);
          throw new TransientError(`GET ${url} answered ${response.status}`);
        }
        if (!response.ok) throw new TerminalError(`GET ${url} answered ${response.status} ${response.statusText}; check the source's URL and credentials`);
        const text = await response.text();
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw new TerminalError(`GET ${url} returned a body that is not JSON (first bytes: ${JSON.stringify(text.slice(0, 80))})`, { cause: error });
        }
      },
      { attempts: maxAttempts },
    );
  }

  return async function* collectHttp(): AsyncGenerator<RawRecord> {
    let url: string | undefined = options.url;
    for (let page = 0; url && page < maxPages; page++) {
      const body = await fetchPage(url);
      const records = get(body, options.recordsPath);
      if (!Array.isArray(records)) throw new TerminalError(`GET ${url}: "${options.recordsPath}" is not an array in the response; check recordsPath`);
      // A JSON API delivers records inside one document: each record's JSON text is its raw form.
      for (const record of records) yield { text: JSON.stringify(record) };
      const next = get(body, options.nextPath);
      url = typeof next === 'string' && next ? new URL(next, url).toString() : undefined;
    }
  };
}
