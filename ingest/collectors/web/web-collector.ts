// The web collector: crawlee's CheerioCrawler for static HTML, or its PlaywrightCrawler on the OS Chromium for pages
// that render with JavaScript. Both hand the page's HTML to the same `extract($, url)`; links matching
// `followSelector` (pagination) are followed within the start URLs' origins. Concurrency, rate and page limits apply;
// crawlee's storage stays in memory, so no folder is left behind.
// crawlee and Playwright load when a crawl starts, not when a command that only names sources does.
import type { CheerioRoot } from '@crawlee/cheerio';
import { config } from '../../../core/config.ts';
import { TerminalError } from '../../../core/errors.ts';
import { previewOf } from '../../../streams/publisher.ts';
import type { RawRecord } from '../../source.ts';
import { AsyncQueue } from '../async-queue.ts';
import { ensureChromium } from './chromium.ts';

export const RENDER_MODES = ['static', 'browser'] as const;
export type RenderMode = (typeof RENDER_MODES)[number];

/**
 * A page served with this header is broken on purpose (a fixture showing what happens to a changed layout): its
 * note is added to the problem where it is printed and kept, so that deliberate noise is never mistaken for a fault.
 */
export const DELIBERATE_HEADER = 'x-strata-deliberate';

export interface WebCollectorOptions {
  startUrls: string[];
  render: RenderMode;
  /**
   * Records of one page; each becomes one raw record (its JSON). A page that yields none (its layout may have changed)
   * is dead-lettered whole, its URL and HTML kept with the reason, and reported; return undefined for pages that only
   * lead to others (an index).
   */
  extract: ($: CheerioRoot, url: string) => Record<string, unknown>[] | undefined;
  /** Links to follow (e.g. `a.next`), kept within the start URLs' origins. */
  followSelector?: string;
  /** Browser mode: wait for this selector before reading the page (the JavaScript has rendered it). */
  waitForSelector?: string;
  maxConcurrency?: number;
  maxRequestsPerMinute?: number;
  maxPages?: number;
  /** Browser mode: the Chromium binary (default: STRATA_CHROMIUM_PATH, i.e. /usr/bin/chromium). */
  executablePath?: string;
  /** Told about pages that failed after crawlee's retries, or yielded nothing. */
  onPageProblem?: (url: string, problem: string) => void;
}

const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Chromium flags: no calls home, and its sandbox on unless this process runs as root (Chromium refuses to start
 * sandboxed as root; a container's non-root user keeps the sandbox).
 */
export const chromiumArgs = (uid = process.getuid?.() ?? 0): string[] => [
  ...(uid === 0 ? ['--no-sandbox'] : []),
  ...CHROMIUM_ARGS,
];

/** Checks the options up front, then returns the collector. */
export function webCollector(options: WebCollectorOptions): () => AsyncGenerator<RawRecord> {
  const problems: string[] = [];
  if (!options.startUrls?.length) problems.push('startUrls must name at least one page');
  for (const u of options.startUrls ?? []) {
    try {
      new URL(u);
    } catch {
      problems.push(`start URL "${u}" is not an absolute URL`);
    }
  }
  if (!RENDER_MODES.includes(options.render)) problems.push(`render must be one of ${RENDER_MODES.join(', ')}`);
  if (typeof options.extract !== 'function') problems.push('extract($, url) is required');
  if (problems.length)
    throw new TerminalError(`webCollector: invalid options:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  const origins = new Set(options.startUrls.map((u) => new URL(u).origin));
  const executablePath = options.executablePath ?? config().chromiumPath;

  return async function* collectWeb(): AsyncGenerator<RawRecord> {
    if (options.render === 'browser') ensureChromium(executablePath);
    const { CheerioCrawler, Configuration, log, LogLevel } = await import('@crawlee/cheerio');
    // crawlee narrates every crawl at INFO; Strata reports results itself, and page problems through onPageProblem.
    log.setLevel(LogLevel.WARNING);
    const queue = new AsyncQueue<RawRecord>(1000);
    // A fresh in-memory configuration per run: no ./storage folder, and no memory of an earlier run's requests.
    const config = new Configuration({ persistStorage: false, purgeOnStart: true });
    const common = {
      maxConcurrency: options.maxConcurrency ?? 4,
      maxRequestsPerMinute: options.maxRequestsPerMinute ?? 120,
      maxRequestsPerCrawl: options.maxPages ?? 1000,
      maxRequestRetries: 2,
      failedRequestHandler: ({ request }: { request: { url: string; errorMessages: string[] } }) => {
        options.onPageProblem?.(request.url, `failed: ${request.errorMessages.at(-1) ?? 'unknown error'}`);
      },
    };
    const handle = async (
      $: CheerioRoot,
      url: string,
      enqueue: (selector: string) => Promise<unknown>,
      deliberate: string | undefined,
    ) => {
      const records = options.extract($, url);
      if (records?.length === 0) {
        const problem = `no records found on the page (has its layout changed?)${deliberate ? ` — deliberate: ${deliberate}` : ''}`;
        options.onPageProblem?.(url, problem);
        // The page is evidence, not a record to replay: a preview of it is enough and keeps dead letters small.
        await queue.push({ text: JSON.stringify({ url, html: previewOf($.html()) }), rejected: `${url}: ${problem}` });
      }
      for (const record of records ?? []) await queue.push({ text: JSON.stringify(record) });
      if (options.followSelector) await enqueue(options.followSelector);
    };
    const sameOrigin = (url: string) => origins.has(new URL(url).origin);
    const crawler =
      options.render === 'static'
        ? new CheerioCrawler(
            {
              ...common,
              requestHandler: async ({ $, request, response, enqueueLinks }) =>
                handle(
                  $,
                  request.loadedUrl ?? request.url,
                  (selector) =>
                    enqueueLinks({ selector, transformRequestFunction: (r) => (sameOrigin(r.url) ? r : false) }),
                  headerText(response.headers[DELIBERATE_HEADER]),
                ),
            },
            config,
          )
        : new (await import('@crawlee/playwright')).PlaywrightCrawler(
            {
              ...common,
              headless: true,
              launchContext: {
                launcher: (await import('playwright-core')).chromium,
                launchOptions: { executablePath, args: chromiumArgs() },
              },
              browserPoolOptions: { useFingerprints: false },
              requestHandler: async ({ page, request, response, parseWithCheerio, enqueueLinks }) => {
                if (options.waitForSelector) await page.waitForSelector(options.waitForSelector, { timeout: 15_000 });
                await handle(
                  await parseWithCheerio(),
                  request.loadedUrl ?? request.url,
                  (selector) =>
                    enqueueLinks({ selector, transformRequestFunction: (r) => (sameOrigin(r.url) ? r : false) }),
                  headerText(response?.headers()[DELIBERATE_HEADER]),
                );
              },
            },
            config,
          );
    const run = crawler.run(options.startUrls).then(
      () => queue.close(),
      (error: unknown) => queue.close(error),
    );
    yield* queue;
    await run;
  };
}

const headerText = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(' ') : value || undefined;
