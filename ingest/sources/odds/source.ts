// Source `odds`: an odds-comparison site, one row per match and bookmaker with 1X2 odds. Static league pages are read
// with Cheerio; pages whose table is rendered by JavaScript through Chromium.
import type { CheerioRoot } from '@crawlee/cheerio';
import { webCollector } from '../../collectors/web/web-collector.ts';
import type { Collected, CollectContext, ParseResult, SourceDefinition } from '../../source.ts';
import { oddsSettings } from './settings.ts';

export const STATIC_LEAGUES = ['ligue-1', 'la-liga'];
export const RENDERED_LEAGUES = ['premier-league'];

/** Rows of a league page: `tr.odds-row` with match, bookmaker and the three odds as the page shows them. */
export function extractOdds($: CheerioRoot, url: string): Record<string, unknown>[] {
  const league = $('h1').attr('data-league') ?? '';
  return $('tr.odds-row')
    .toArray()
    .map((tr) => {
      const cell = (cls: string) => $(tr).find(`td.${cls}`).text().trim();
      const [home, away] = cell('match').split(' - ');
      return {
        league,
        home,
        away,
        kickoff: $(tr).attr('data-kickoff'),
        bookmaker: cell('bookmaker'),
        odds_1: cell('o1'),
        odds_x: cell('ox'),
        odds_2: cell('o2'),
        updated_at: $(tr).attr('data-updated'),
        affiliate_url: $(tr).find('td.bookmaker a').attr('href') ?? null,
        page: new URL(url).pathname,
      };
    });
}

/** Natural key: league, match and bookmaker; new odds for the same key are a new event (content-based id). */
export function parseOdds(raw: string): ParseResult {
  const r = JSON.parse(raw) as Record<string, unknown>;
  for (const field of ['league', 'home', 'away', 'kickoff', 'bookmaker', 'updated_at'] as const) {
    if (typeof r[field] !== 'string' || !(r[field] as string)) return { ok: false, reason: `missing field ${field}` };
  }
  for (const field of ['odds_1', 'odds_x', 'odds_2'] as const) {
    if (!(Number(r[field]) > 1))
      return { ok: false, reason: `${field} "${String(r[field])}" is not decimal odds above 1` };
  }
  const observedAt = new Date(r.updated_at as string);
  if (Number.isNaN(observedAt.getTime()))
    return { ok: false, reason: `updated_at "${String(r.updated_at)}" is not a time` };
  return {
    ok: true,
    naturalKey: `${r.league}|${r.home}|${r.away}|${r.kickoff}|${r.bookmaker}`,
    observedAt: observedAt.toISOString(),
  };
}

export const oddsSource = {
  name: 'odds',
  description:
    'Football 1X2 odds per match and bookmaker from an odds-comparison site (some pages rendered by JavaScript)',
  schemaVersion: 1,
  schedule: '*/10 * * * *',
  settings: oddsSettings,
  async *collect(context: CollectContext): AsyncGenerator<Collected> {
    const base = context.baseUrl ?? oddsSettings.read(context.env).url;
    const common = {
      extract: extractOdds,
      followSelector: 'a.next',
      onPageProblem: (url: string, problem: string) => console.warn(`odds: ${url}: ${problem}`),
    };
    yield* webCollector({
      ...common,
      render: 'static',
      startUrls: STATIC_LEAGUES.map((l) => `${base}/football/${l}?page=1`),
    })();
    yield* webCollector({
      ...common,
      render: 'browser',
      waitForSelector: 'body[data-rendered="yes"]',
      startUrls: RENDERED_LEAGUES.map((l) => `${base}/football/${l}?page=1`),
    })();
  },
  parse: parseOdds,
  // The bookmaker links carry the site owner's partner id, a credential: removed before anything is kept.
  sensitive: { affiliate_url: 'drop' },
} satisfies SourceDefinition;
