// Kills real `pnpm stream` processes with SIGKILL while they collect a live ticker: at random moments and at every
// crash point of a micro-batch (bronze committed but not acknowledged, table files written but not committed, table
// committed but not yet in PostgreSQL, a collector between publishes, bronze acknowledged but not trimmed). After a
// last run drains what is left, every tick that entered the Redis stream must be in bronze and silver exactly once,
// Redis must keep none of them, and every one-minute and one-hour candle in
// PostgreSQL must equal the test's own computation from those ticks: nothing lost, nothing counted twice.
// STRATA_FAULT_TRIALS sizes it (`pnpm test` runs 7 kills, `pnpm test:faults` more).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { envFor } from '../../core/config.ts';
import { withDuck } from '../../core/duckdb.ts';
import { attachTable } from '../../lake/lake-views.ts';
import { streamKey } from '../../streams/keys.ts';
import { startCryptoFixtureServer } from '../../ingest/sources/crypto/fixtures/server.ts';
import { prng } from '../../ingest/sources/weather/fixtures/generator.ts';
import { assertServedCandles } from '../support/candles.ts';
import { spawnCli, type Exit } from '../support/cli.ts';
import { isolatedRuntime, type Isolated } from '../support/isolated.ts';
import { auditedTicks, startAudit } from '../support/stream-audit.ts';
import { waitForStreamSettled } from '../support/stream-settled.ts';

const TRIALS = Math.max(8, Number(process.env.STRATA_FAULT_TRIALS ?? 8));
const random = prng(Number(process.env.STRATA_FAULT_SEED ?? 11));
// A failpoint's n-th hit kills the process: bronze commits about once a second, each round commits three tables.
const CRASH_POINTS = [
  'bronze-after-commit:3',
  'table-before-commit:4',
  'table-after-commit:5',
  'stream-before-load:2',
  'ingest-after-publish:4',
  'bronze-after-ack:3',
  'table-after-commit:2',
];

function startStream(
  env: Isolated,
  tickerUrl: string,
  failpoint: string,
  args: string[] = [],
): { child: ChildProcess; exited: Promise<Exit> } {
  return spawnCli('bin/stream.ts', ['--status-seconds', '2', ...args], {
    ...envFor(env.config),
    STRATA_SOURCE_CRYPTO_URL: tickerUrl,
    STRATA_FAILPOINT: failpoint,
  });
}

describe('pnpm stream killed and restarted', { timeout: 600_000 }, () => {
  let env: Isolated;
  let ticker: Awaited<ReturnType<typeof startCryptoFixtureServer>>;

  before(async () => {
    env = await isolatedRuntime();
    // Sees every tick that entered the stream, whatever bronze trims once it has committed them.
    await startAudit(env.rt.redis(), streamKey(env.config.redisPrefix, 'crypto'));
    ticker = await startCryptoFixtureServer(0);
  });
  after(async () => {
    await ticker?.close();
    await env?.cleanup();
  });

  it('loses no tick and counts none twice', async () => {
    const kills: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const point = trial < CRASH_POINTS.length ? CRASH_POINTS[trial]! : '';
      const started = Date.now();
      const { child, exited } = startStream(env, ticker.url, point);
      // A crash point kills the process itself; otherwise SIGKILL comes at a random moment, 2–5 s in.
      const timer = setTimeout(() => child.kill('SIGKILL'), point ? 40_000 : 2000 + random() * 3000);
      const exit = await exited;
      clearTimeout(timer);
      assert.equal(
        exit.signal,
        'SIGKILL',
        `trial ${trial} (${point || 'random moment'}) ended by ${exit.signal ?? `exit ${exit.code}`}:\n${exit.output}`,
      );
      kills.push(`${point || 'random'} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    // A last run without the collector drains what the dead ones left, then stops cleanly.
    await ticker.close();
    const last = startStream(env, ticker.url, '', ['--no-collect']);
    await started(last.child);
    await waitForStreamSettled(env.rt, 120_000);
    last.child.kill('SIGINT');
    const exit = await last.exited;
    assert.equal(exit.code, 0, exit.output);

    const { ticks, entries } = await auditedTicks(env.rt.redis(), streamKey(env.config.redisPrefix, 'crypto'));
    assert.ok(ticks.length >= 50, `only ${ticks.length} ticks were collected`);
    const bronze = await env.rt.catalog.rowCount({ layer: 'bronze', name: 'crypto' });
    assert.equal(bronze, entries, 'every stream entry is in bronze once');
    assert.equal(
      await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'crypto')),
      0,
      'Redis keeps nothing the lake holds',
    );
    assert.equal(
      await env.rt.catalog.rowCount({ layer: 'silver', name: 'crypto_ticks' }),
      ticks.length,
      'every tick is in silver once',
    );
    await assertServedCandles(env.rt.pool, ticks, `after ${kills.length} kills (${kills.join(', ')})`);
    for (const table of ['crypto_ohlc_minute', 'crypto_ohlc_hour'] as const) {
      const quarantined = await withDuck(async (duck) => {
        const q = await env.rt.catalog.currentSnapshot({ layer: 'gold', name: `${table}__quarantine` });
        if (!q) return 0;
        await attachTable(env.rt, duck, { layer: 'gold', name: `${table}__quarantine` });
        return Number(await duck.scalar(`select count(*) from gold.${table}__quarantine`));
      });
      assert.equal(quarantined, 0, `${table}: no tick of a live ticker is late`);
    }
    console.log(
      `# ${kills.length} kills (${kills.join(', ')}); ${ticks.length} ticks, ${entries} stream entries, every candle exact`,
    );
  });
});

/** Resolves once the stream has printed its first line (its signal handlers are in place). */
function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes(' stream: ') && resolve());
    child.once('exit', (code) => reject(new Error(`the stream exited (${code}) before starting`)));
  });
}
