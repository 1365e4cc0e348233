// The web collector end to end on the fixture odds site: static pages through Cheerio, the JavaScript-rendered league
// through the OS Chromium, pagination links followed, noise dead-lettered, nothing left on disk.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { keyRingOf } from '../core/keys.ts';
import { deadLetterKey, streamKey } from '../streams/keys.ts';
import { decodeEnvelope } from '../streams/envelope.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import { generateOddsSite, PARTNER_ID } from '../ingest/sources/odds/fixtures/generator.ts';
import { startOddsFixtureServer } from '../ingest/sources/odds/fixtures/server.ts';
import { oddsSource } from '../ingest/sources/odds/source.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

describe('odds source (web collector, static and JavaScript-rendered pages)', { timeout: 180_000 }, () => {
  let env: Isolated;
  let site: { url: string; close(): Promise<void> };
  const pages = generateOddsSite();
  const readable = pages.filter((p) => !p.changedLayout).flatMap((p) => p.rows);
  const changed = pages.filter((p) => p.changedLayout);
  const valid = readable.filter((r) => [r.odds_1, r.odds_x, r.odds_2].every((o) => Number(o) > 1));
  const rendered = valid.filter((r) => r.league === 'Premier League');

  before(async () => {
    env = await isolatedRuntime();
    site = await startOddsFixtureServer();
  });
  after(async () => {
    await site?.close();
    await env?.cleanup();
  });

  it('collects every readable row once, including those only a browser renders', async () => {
    assert.ok(
      rendered.length > 0 && readable.length > valid.length && changed.length === 1,
      'the fixture has JS-rendered rows, malformed odds and a changed page',
    );
    const result = await runIngest(env.rt, oddsSource, { context: { baseUrl: site.url } });
    assert.equal(result.status, 'succeeded', result.error);
    // A page whose layout changed is one record: dead-lettered whole, with its URL and HTML.
    assert.deepEqual(
      [result.rowsIn, result.rowsOut, result.rowsRejected],
      [readable.length + 1, valid.length, readable.length - valid.length + 1],
    );
    const entries = (await env.rt.redis().xrange(streamKey(env.config.redisPrefix, 'odds'), '-', '+')) as [
      string,
      string[],
    ][];
    const leagues = entries.map(([, f]) => (JSON.parse(decodeEnvelope(f[1]!).payload) as { league: string }).league);
    assert.equal(leagues.filter((l) => l === 'Premier League').length, rendered.length);
    const letters = (await env.rt.redis().xrange(deadLetterKey(env.config.redisPrefix, 'odds'), '-', '+')) as [
      string,
      string[],
    ][];
    const reasons = letters.map(([, f]) => f[f.indexOf('reason') + 1]!);
    assert.equal(
      reasons.filter((r) => /odds_1 "-" is not decimal odds above 1/.test(r)).length,
      readable.length - valid.length,
    );
    const page = letters.find(([, f]) => f[f.indexOf('reason') + 1]!.includes('no records found on the page'))!;
    // The fixture breaks that page on purpose and says so: the reason kept (and printed) announces it.
    assert.match(
      page[1][page[1].indexOf('reason') + 1]!,
      /no records found on the page \(has its layout changed\?\) — deliberate: the bundled odds fixture changed this page's layout on purpose/,
    );
    // The page's links carry the partner id the source drops (sensitive): the page is kept encrypted whole.
    const raw = page[1][page[1].indexOf('raw') + 1]!;
    assert.match(raw, /^enc:\w+:/);
    const kept = JSON.parse(keyRingOf(env.config)!.decrypt(raw)) as { url: string; html: string };
    assert.match(kept.html, new RegExp(PARTNER_ID));
    // Nowhere else: the rows keep no link, the other dead letters lost it with the field.
    const everything = JSON.stringify([entries, letters]);
    assert.doesNotMatch(everything, new RegExp(PARTNER_ID));
    assert.equal(
      new URL(kept.url).pathname + new URL(kept.url).search,
      `/football/${changed[0]!.league.slug}?page=${changed[0]!.page}`,
    );
    assert.match(kept.html, /<tr class="line"/);
  });

  it('adds nothing when the site has not changed', async () => {
    const again = await runIngest(env.rt, oddsSource, { context: { baseUrl: site.url } });
    assert.deepEqual([again.rowsOut, again.duplicates], [0, valid.length]);
  });

  it('leaves no crawlee storage folder behind', () => {
    assert.equal(existsSync(path.join(PROJECT_ROOT, 'storage')), false);
  });
});
