// 10,000 generated malformed records through the real processes (`pnpm ingest:run` per source, `pnpm bronze --once`,
// `pnpm job:silver`): broken JSON, wrong types, invalid UTF-8, 10 MB records, unreadable fields and exact repeats in
// the weather API and in a listings inbox file, and the odds site's changed page layout and malformed odds. No process
// may fail; every record must end stored, quarantined (with the rules it broke) or dead-lettered (with its reason), or
// be a counted duplicate, and for each source: read = stored + quarantined + dead-lettered + duplicates, each count
// equal to what the generator says of its own records.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { envFor } from '../../core/config.ts';
import { withDuck } from '../../core/duckdb.ts';
import { attachTable } from '../../lake/lake-views.ts';
import { deadLetterTable } from '../../lake/bronze-schema.ts';
import { deadLetterKey } from '../../streams/keys.ts';
import { createLegacyTable } from '../../ingest/sources/listings/fixtures/generator.ts';
import { generateOddsSite } from '../../ingest/sources/odds/fixtures/generator.ts';
import { startOddsFixtureServer } from '../../ingest/sources/odds/fixtures/server.ts';
import { startWeatherFixtureServer, type FixtureServer } from '../../ingest/sources/weather/fixtures/server.ts';
import { generateBadInput, type Expected } from '../support/bad-input.ts';
import { spawnCli } from '../support/cli.ts';
import { isolatedRuntime, type Isolated } from '../support/isolated.ts';

const MALFORMED = 10_000;

/** Which kind of bad record a dead letter's reason speaks of, per source. */
const REASON_KINDS: Record<string, [RegExp, string][]> = {
  weather: [
    [/larger than STRATA_MAX_EVENT_BYTES/, 'huge'],
    [/missing field station_id/, 'station-id-number'],
    [/observed_at/, 'time-unreadable'],
    [/not a JSON object/, 'not-an-object'],
  ],
  listings: [
    [/larger than STRATA_MAX_EVENT_BYTES/, 'huge'],
    [/^parser error: .*JSON/, 'broken-json'],
    [/rejected by the collector: .* not valid UTF-8/, 'invalid-utf8'],
    [/missing field id/, 'missing-id'],
    [/is not a date/, 'date-unreadable'],
  ],
  odds: [
    [/rejected by the collector: .*no records found on the page/, 'changed-layout'],
    [/is not decimal odds above 1/, 'malformed-odds'],
  ],
};

interface Measured extends Expected {
  bronze: number;
  /** Dead letters whose reason names none of the expected kinds. */
  unexplained: string[];
}

const cli = (env: Record<string, string>, script: string, ...args: string[]) => spawnCli(script, args, env).exited;

describe(`${MALFORMED} malformed records across the sources`, { timeout: 600_000 }, () => {
  let env: Isolated;
  let weather: FixtureServer;
  let odds: { url: string; close(): Promise<void> };
  let emptyApi: Server;
  let inbox: string;
  const bad = generateBadInput({ malformed: MALFORMED });

  before(async () => {
    env = await isolatedRuntime('s3');
    weather = await startWeatherFixtureServer(0, '127.0.0.1', { days: 0 });
    weather.revise((records) => records.push(...(bad.weather as Record<string, unknown>[])));
    odds = await startOddsFixtureServer();
    // The listings source also reads an API and a legacy table: here both are empty, so the inbox file is all it reads.
    emptyApi = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    await new Promise<void>((resolve) => emptyApi.listen(0, '127.0.0.1', resolve));
    await createLegacyTable(env.config.databaseUrl, []);
    inbox = mkdtempSync(path.join(os.tmpdir(), 'strata-bad-input-'));
    writeFileSync(path.join(inbox, 'partner-feed.ndjson'), bad.listingLines);
  });
  after(async () => {
    await weather?.close();
    await odds?.close();
    await new Promise((resolve) => emptyApi?.close(resolve));
    rmSync(inbox, { recursive: true, force: true });
    await env?.cleanup();
  });

  it('crashes no process, keeps every bad record with its reason, and the counts add up', async () => {
    const childEnv = {
      ...envFor(env.config),
      S3_ENDPOINT: env.config.s3.endpoint,
      STRATA_SOURCE_LISTINGS_INBOX: inbox,
    };
    const runs = [
      await cli(childEnv, 'bin/ingest-run.ts', 'weather', '--base-url', weather.url),
      await cli(
        childEnv,
        'bin/ingest-run.ts',
        'listings',
        '--base-url',
        `http://127.0.0.1:${(emptyApi.address() as AddressInfo).port}`,
      ),
      await cli(childEnv, 'bin/ingest-run.ts', 'odds', '--base-url', odds.url),
      await cli(childEnv, 'bin/bronze.ts', '--once'),
      await cli(childEnv, 'bin/job.ts', 'silver'),
    ];
    for (const run of runs) assert.equal(run.code, 0, run.output);

    const expected = { ...bad.expected, odds: expectedOdds() };
    const measured = {
      weather: await measure(env, 'weather', 'weather_observations'),
      listings: await measure(env, 'listings', 'listings'),
      odds: await measure(env, 'odds', 'odds_prices'),
    };
    console.log(formatCounts(measured));
    assert.ok(bad.malformed >= MALFORMED && Object.values(expected).reduce((n, e) => n + e.read, 0) > MALFORMED);
    for (const source of ['weather', 'listings', 'odds'] as const) {
      const m = measured[source];
      const e = expected[source];
      assert.equal(
        m.read,
        m.stored + m.quarantined + m.deadLettered + m.duplicates,
        `${source}: read = stored + quarantined + dead-lettered + duplicates`,
      );
      assert.deepEqual(
        {
          read: m.read,
          stored: m.stored,
          quarantined: m.quarantined,
          deadLettered: m.deadLettered,
          duplicates: m.duplicates,
        },
        {
          read: e.read,
          stored: e.stored,
          quarantined: e.quarantined,
          deadLettered: e.deadLettered,
          duplicates: e.duplicates,
        },
        `${source}: each count as the generator expects`,
      );
      assert.deepEqual(m.unexplained, [], `${source}: every dead letter's reason names its problem`);
      assert.deepEqual(m.deadLetterKinds, e.deadLetterKinds, `${source}: dead letters by kind`);
    }
  });
});

/** The odds fixture: a page whose layout changed (one dead letter for the page), rows with malformed odds. */
function expectedOdds(): Expected {
  const pages = generateOddsSite();
  const rows = pages.filter((p) => !p.changedLayout).flatMap((p) => p.rows);
  const valid = rows.filter((r) => [r.odds_1, r.odds_x, r.odds_2].every((o) => Number(o) > 1));
  const keys = new Set(valid.map((r) => `${r.league}|${r.home}|${r.away}|${r.kickoff}|${r.bookmaker}`));
  const changed = pages.filter((p) => p.changedLayout).length;
  return {
    read: rows.length + changed,
    stored: keys.size,
    quarantined: 0,
    deadLettered: rows.length - valid.length + changed,
    duplicates: valid.length - keys.size,
    deadLetterKinds: { 'changed-layout': changed, 'malformed-odds': rows.length - valid.length },
  };
}

/**
 * The pipeline's own counts: read and repeats from the collector's run record, dead letters from the dead-letter
 * stream, stored and quarantined rows from the lake. Duplicates are the exact repeats dropped at ingest plus the older
 * revisions silver replaced by a newer one of the same key (bronze rows that are neither stored nor quarantined).
 */
async function measure(env: Isolated, source: string, table: string): Promise<Measured> {
  const { rows } = await env.rt.pool.query<{ rows_in: number; details: Record<string, number> }>(
    `select rows_in::int, details from strata_catalog.runs where kind = 'collect' and target = $1 and status = 'succeeded'`,
    [source],
  );
  assert.equal(rows.length, 1, `one collect run of ${source}`);
  const run = rows[0]!;
  // `pnpm bronze --once` committed every dead letter to the lake: Redis keeps none, and none is bigger than a preview.
  assert.equal(
    await env.rt.redis().xlen(deadLetterKey(env.config.redisPrefix, source)),
    0,
    `${source}: dead letters left Redis`,
  );
  const letters = await withDuck(async (duck) => {
    await attachTable(env.rt, duck, { layer: 'bronze', name: deadLetterTable(source) });
    return duck.all(`select reason, octet_length(encode(raw)) as bytes from bronze.${deadLetterTable(source)}`);
  });
  const largest = Math.max(...letters.map((l) => Number(l.bytes)));
  assert.ok(largest <= env.config.maxEventBytes, `${source}: the largest dead letter kept ${largest} bytes`);
  const deadLetterKinds: Record<string, number> = {};
  const unexplained: string[] = [];
  for (const { reason: text } of letters) {
    const reason = String(text ?? '');
    const kind = REASON_KINDS[source]!.find(([pattern]) => pattern.test(reason))?.[1];
    if (kind) deadLetterKinds[kind] = (deadLetterKinds[kind] ?? 0) + 1;
    else unexplained.push(reason);
  }
  const lake = await withDuck(async (duck) => {
    await attachTable(env.rt, duck, { layer: 'bronze', name: source });
    await attachTable(env.rt, duck, { layer: 'silver', name: table });
    const quarantine = await env.rt.catalog.currentSnapshot({ layer: 'silver', name: `${table}__quarantine` });
    if (quarantine) await attachTable(env.rt, duck, { layer: 'silver', name: `${table}__quarantine` });
    const n = async (sql: string) => Number(await duck.scalar(sql));
    return {
      bronze: await n(`select count(*) from bronze.${source}`),
      stored: await n(`select count(*) from silver.${table}`),
      // A quarantined row must say which rules it broke.
      quarantined: quarantine
        ? await n(`select count(*) from silver.${table}__quarantine where len(broken_rules) > 0`)
        : 0,
    };
  });
  return {
    read: run.rows_in,
    stored: lake.stored,
    quarantined: lake.quarantined,
    deadLettered: letters.length,
    duplicates:
      run.details.duplicates! + run.details.deadLetterDuplicates! + (lake.bronze - lake.stored - lake.quarantined),
    deadLetterKinds,
    bronze: lake.bronze,
    unexplained,
  };
}

function formatCounts(m: Record<string, Measured>): string {
  const header = ['source', 'read', 'stored', 'quarantined', 'dead-lettered', 'duplicates', 'adds up'];
  const lines = Object.entries(m).map(([source, c]) => [
    source,
    c.read,
    c.stored,
    c.quarantined,
    c.deadLettered,
    c.duplicates,
    c.read === c.stored + c.quarantined + c.deadLettered + c.duplicates ? 'yes' : 'NO',
  ]);
  return [header, ...lines]
    .map((cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(10) : String(c).padStart(14))).join(''))
    .join('\n');
}
