// The example sources against their fixtures, through the real ingest runner.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/config.ts';
import { keyRingOf } from '../core/keys.ts';
import { sleep } from '../core/retry.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import {
  createLegacyTable,
  generateListings,
  inApi,
  writeListingDumps,
} from '../ingest/sources/listings/fixtures/generator.ts';
import { startListingsApi } from '../ingest/sources/listings/fixtures/server.ts';
import { listingsSource } from '../ingest/sources/listings/source.ts';
import { startCryptoFixtureServer, ticksAt } from '../ingest/sources/crypto/fixtures/server.ts';
import { cryptoSource } from '../ingest/sources/crypto/source.ts';
import { generateWiki, startWikiFixtureServer } from '../ingest/sources/weapons/fixtures/wiki.ts';
import { weaponsSource } from '../ingest/sources/weapons/source.ts';
import { decodeEnvelope } from '../streams/envelope.ts';
import { deadLetterKey } from '../streams/keys.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { scriptArgs } from '../core/modules.ts';

describe('weapons source', { timeout: 120_000 }, () => {
  let env: Isolated;
  let wiki: { url: string; close(): Promise<void> };
  before(async () => {
    env = await isolatedRuntime();
    wiki = await startWikiFixtureServer();
  });
  after(async () => {
    await wiki?.close();
    await env?.cleanup();
  });

  it('collects every weapon of every readable type page, one record per weapon, keyed by type and name', async () => {
    const pages = generateWiki().filter((p) => !p.changedLayout);
    const changed = generateWiki().length - pages.length;
    const rows = pages.flatMap((p) => p.rows.map((r) => ({ ...r, type: p.type })));
    const named = rows.filter((r) => r.name);
    const result = await runIngest(env.rt, weaponsSource, { context: { baseUrl: wiki.url } });
    assert.equal(result.status, 'succeeded', result.error);
    // Each page whose layout changed is dead-lettered whole, as one record.
    assert.equal(changed, 1);
    assert.deepEqual(
      [result.rowsIn, result.rowsOut, result.rowsRejected],
      [rows.length + changed, named.length, rows.length - named.length + changed],
    );
    const entries = (await env.rt.redis().xrange(`${env.config.redisPrefix}:stream:weapons`, '-', '+')) as [
      string,
      string[],
    ][];
    const keys = entries.map(([, f]) => decodeEnvelope(f[1]!).natural_key).sort();
    assert.deepEqual(keys, named.map((r) => `${r.type}|${r.name}`).sort());
    // Each page's editor is kept as the keyed hash of the handle (sensitive: hash): equal per editor, never the handle.
    const ring = keyRingOf(env.config)!;
    const editors = new Map(pages.map((p) => [p.type, ring.hash(p.editedBy)]));
    for (const [, f] of entries) {
      const payload = decodeEnvelope(f[1]!).payload;
      const w = JSON.parse(payload) as { weapon_type: string; edited_by: string };
      assert.equal(w.edited_by, editors.get(w.weapon_type as never));
      assert.ok(!pages.some((p) => payload.includes(p.editedBy)), payload);
    }
    // The Hammer page is broken on purpose, and its dead letter says so and why Hammer is missing.
    const letters = (await env.rt.redis().xrange(deadLetterKey(env.config.redisPrefix, 'weapons'), '-', '+')) as [
      string,
      string[],
    ][];
    const pageReasons = letters
      .map(([, f]) => f[f.indexOf('reason') + 1]!)
      .filter((r) => r.includes('no records found on the page'));
    assert.equal(pageReasons.length, 1);
    assert.match(
      pageReasons[0]!,
      /\/wiki\/Weapons\/Hammer: no records found on the page \(has its layout changed\?\) — deliberate: the bundled wiki fixture changed the Hammer page's layout on purpose, .* \(so Hammer is missing from the weapons tables\)$/,
    );
    assert.equal((await runIngest(env.rt, weaponsSource, { context: { baseUrl: wiki.url } })).rowsOut, 0);
  });
});

describe('listings source (API + inbox dumps + legacy table)', () => {
  let env: Isolated;
  let api: { url: string; close(): Promise<void> };
  let inbox: string;
  before(async () => {
    env = await isolatedRuntime();
    api = await startListingsApi();
    inbox = mkdtempSync(path.join(os.tmpdir(), 'strata-listings-'));
  });
  after(async () => {
    await api?.close();
    rmSync(inbox, { recursive: true, force: true });
    await env?.cleanup();
  });

  it('collects all three origins in one run, dead-letters rows without an id, and adds nothing the second time', async () => {
    const dumps = writeListingDumps(inbox);
    const legacyRows = await createLegacyTable(env.config.databaseUrl);
    const apiRows = generateListings().filter((_, i) => inApi(i)).length;
    const context = { baseUrl: api.url, env: { STRATA_SOURCE_LISTINGS_INBOX: inbox } };
    const first = await runIngest(env.rt, listingsSource, { context });
    assert.equal(first.status, 'succeeded', first.error);
    const seen = apiRows + dumps.csvRows + dumps.jsonRows + legacyRows;
    assert.deepEqual([first.rowsIn, first.rowsRejected, first.rowsOut], [seen, 2, seen - 2]);
    const entries = (await env.rt.redis().xrange(`${env.config.redisPrefix}:stream:listings`, '-', '+')) as [
      string,
      string[],
    ][];
    const origins = entries.map(([, f]) => decodeEnvelope(f[1]!).natural_key.split(':')[0]);
    assert.deepEqual(
      ['api', 'agency-csv', 'partner-json', 'legacy'].map((o) => origins.filter((x) => x === o).length),
      [apiRows, dumps.csvRows - 1, dumps.jsonRows, legacyRows - 1],
    );
    assert.deepEqual(readdirSync(path.join(inbox, 'processed')).sort(), [
      'agency-dump-2026-11-20.csv',
      'agency-dump-2026-11-20.csv.report.txt',
      'partner-export.json',
      'partner-export.json.report.txt',
    ]);
    // Each file's report counts what became of its rows, as the runner published them.
    assert.deepEqual(
      ['agency-dump-2026-11-20.csv', 'partner-export.json'].map((f) =>
        readFileSync(path.join(inbox, 'processed', `${f}.report.txt`), 'utf8'),
      ),
      [
        `agency-dump-2026-11-20.csv: ${dumps.csvRows} rows read: ${dumps.csvRows - 1} published, 0 duplicate, 1 dead-lettered\n`,
        `partner-export.json: ${dumps.jsonRows} rows read: ${dumps.jsonRows} published, 0 duplicate, 0 dead-lettered\n`,
      ],
    );
    const second = await runIngest(env.rt, listingsSource, { context });
    assert.deepEqual(
      [second.rowsIn, second.rowsOut],
      [apiRows, 0],
      'the API again (all duplicates); the inbox is empty; the table has nothing newer',
    );
  });
});

describe('crypto source', () => {
  let env: Isolated;
  let clock = Date.UTC(2026, 10, 23, 9, 0, 0);
  let api: { url: string; close(): Promise<void> };
  before(async () => {
    env = await isolatedRuntime();
    api = await startCryptoFixtureServer(0, '127.0.0.1', () => clock);
  });
  after(async () => {
    await api?.close();
    await env?.cleanup();
  });

  it('keeps each coin tick once per second, and dead-letters ticks without a symbol', async () => {
    const ticks = (at: number) => ticksAt(Math.floor(at / 1000));
    const valid = (at: number) => ticks(at).filter((t) => typeof t.symbol === 'string').length;
    const first = await runIngest(env.rt, cryptoSource, { context: { baseUrl: api.url } });
    assert.deepEqual(
      [first.status, first.rowsIn, first.rowsOut, first.rowsRejected],
      ['succeeded', 10, valid(clock), 10 - valid(clock)],
      first.error,
    );
    // The same second again: every tick is a duplicate, every bad one a dead letter already kept, though the wallets
    // are encrypted anew each time (identity and dead-letter keys come from the clear record).
    const sameSecond = await runIngest(env.rt, cryptoSource, { context: { baseUrl: api.url } });
    assert.deepEqual(
      [sameSecond.rowsOut, sameSecond.duplicates, sameSecond.rowsRejected, sameSecond.deadLetterDuplicates],
      [0, valid(clock), 0, 10 - valid(clock)],
    );
    const ring = keyRingOf(env.config)!;
    const entries = (await env.rt.redis().xrange(`${env.config.redisPrefix}:stream:crypto`, '-', '+')) as [
      string,
      string[],
    ][];
    const wallets = new Map(ticks(clock).map((t) => [t.symbol, t.taker_wallet]));
    for (const [, f] of entries) {
      const tick = JSON.parse(decodeEnvelope(f[1]!).payload) as { symbol: string; taker_wallet: string };
      assert.match(tick.taker_wallet, /^enc:/);
      assert.equal(ring.decrypt(tick.taker_wallet), wallets.get(tick.symbol));
    }
    let total = first.rowsOut;
    for (let s = 1; s <= 30; s++) {
      clock += 1000;
      const next = await runIngest(env.rt, cryptoSource, { context: { baseUrl: api.url } });
      assert.equal(next.rowsOut, valid(clock), `second ${s}`);
      total += next.rowsOut;
    }
    assert.ok(total < 31 * 10, 'the fixture did drop some symbols');
    assert.equal(await env.rt.redis().xlen(`${env.config.redisPrefix}:stream:crypto`), total);
  });
});

describe('ingest:run --watch on an inbox', { timeout: 90_000 }, () => {
  let env: Isolated;
  let api: { url: string; close(): Promise<void> };
  let inbox: string;
  let child: ChildProcess | undefined;
  before(async () => {
    env = await isolatedRuntime();
    api = await startListingsApi();
    inbox = mkdtempSync(path.join(os.tmpdir(), 'strata-watch-'));
    await createLegacyTable(env.config.databaseUrl);
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await api?.close();
    rmSync(inbox, { recursive: true, force: true });
    await env?.cleanup();
  });

  it('collects a file as soon as it lands, without waiting for the interval', async () => {
    child = spawn(
      process.execPath,
      [...scriptArgs('bin/ingest-run.ts'), 'listings', '--watch', '--interval-seconds', '3600'],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          DATABASE_URL: env.config.databaseUrl,
          STRATA_REDIS_PREFIX: env.config.redisPrefix,
          STRATA_LAKE_URL: env.config.lakeUrl,
          STRATA_SOURCE_LISTINGS_INBOX: inbox,
          STRATA_SOURCE_LISTINGS_URL: api.url,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    const stream = `${env.config.redisPrefix}:stream:listings`;
    const waitFor = async (what: () => Promise<boolean>, label: string) => {
      for (let i = 0; i < 150 && !(await what()); i++) await sleep(100);
      assert.ok(await what(), `${label}; the watcher said:\n${output}`);
    };
    await waitFor(async () => (output.match(/listings\s+succeeded/g) ?? []).length === 1, 'first collection done');
    const before = await env.rt.redis().xlen(stream);
    writeFileSync(
      path.join(inbox, 'late-drop.ndjson'),
      '{"id":"W1","city":"Nice","updated":"2026-11-22"}\n{"id":"W2","city":"Nice","updated":"2026-11-22"}\n',
    );
    await waitFor(async () => (await env.rt.redis().xlen(stream)) === before + 2, 'the dropped file was collected');
    const report = path.join(inbox, 'processed', 'late-drop.ndjson.report.txt');
    await waitFor(async () => existsSync(report), 'the dropped file was moved with its report');
    assert.deepEqual(readdirSync(path.join(inbox, 'processed')).sort(), [
      'late-drop.ndjson',
      'late-drop.ndjson.report.txt',
    ]);
    assert.equal(
      readFileSync(report, 'utf8'),
      'late-drop.ndjson: 2 rows read: 2 published, 0 duplicate, 0 dead-lettered\n',
    );
    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
  });
});
