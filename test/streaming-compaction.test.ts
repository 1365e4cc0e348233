// A stream that runs on and on keeps its live files per partition bounded: `pnpm stream`, with lowered compaction
// thresholds, adds bronze, silver and gold files every second, and merges them between rounds. While it runs, no
// partition of any of its tables holds more than twice the threshold; afterwards every candle is still exact.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { envFor } from '../core/config.ts';
import { sleep } from '../core/retry.ts';
import { streamKey } from '../streams/keys.ts';
import { startCryptoFixtureServer } from '../ingest/sources/crypto/fixtures/server.ts';
import { assertServedCandles } from './support/candles.ts';
import { spawnCli } from './support/cli.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { auditedTicks, startAudit } from './support/stream-audit.ts';
import { waitForStreamSettled } from './support/stream-settled.ts';

const MIN_FILES = 4;
const RUN_SECONDS = Number(process.env.STRATA_COMPACTION_RUN_SECONDS ?? 25);
const TABLES = [
  ['bronze', 'crypto'],
  ['silver', 'crypto_ticks'],
  ['gold', 'crypto_ohlc_minute'],
  ['gold', 'crypto_ohlc_hour'],
] as const;

describe('streaming compaction', { timeout: 300_000 }, () => {
  let env: Isolated;
  let ticker: Awaited<ReturnType<typeof startCryptoFixtureServer>>;
  before(async () => {
    env = await isolatedRuntime();
    await startAudit(env.rt.redis(), streamKey(env.config.redisPrefix, 'crypto'));
    ticker = await startCryptoFixtureServer(0);
  });
  after(async () => {
    await ticker?.close();
    await env?.cleanup();
  });

  /** The most live files any partition of the table holds right now. */
  const maxFilesPerPartition = async (layer: string, name: string) => {
    const { rows } = await env.rt.pool.query<{ n: number }>(
      `select coalesce(max(n), 0)::int as n from (select count(*) as n from strata_catalog.files f join strata_catalog.tables t using (table_id)
        where t.layer = $1 and t.name = $2 and f.removed_snapshot_id is null group by f.partition_values) p`,
      [layer, name],
    );
    return rows[0]!.n;
  };
  const filesEverAdded = async (layer: string, name: string) =>
    Number(
      (
        await env.rt.pool.query(
          `select count(*) as n from strata_catalog.files f join strata_catalog.tables t using (table_id) where t.layer = $1 and t.name = $2`,
          [layer, name],
        )
      ).rows[0].n,
    );

  it(`keeps at most ${2 * MIN_FILES} live files per partition while files are added every second, and every candle exact`, async () => {
    const stream = spawnCli('bin/stream.ts', ['--status-seconds', '5'], {
      ...envFor(env.config),
      STRATA_SOURCE_CRYPTO_URL: ticker.url,
      STRATA_COMPACT_MIN_FILES: String(MIN_FILES),
      STRATA_COMPACT_INTERVAL_SECONDS: '1',
    });
    const peak = new Map<string, number>(TABLES.map(([l, n]) => [`${l}.${n}`, 0]));
    try {
      const until = Date.now() + RUN_SECONDS * 1000;
      while (Date.now() < until) {
        for (const [layer, name] of TABLES)
          peak.set(
            `${layer}.${name}`,
            Math.max(peak.get(`${layer}.${name}`)!, await maxFilesPerPartition(layer, name)),
          );
        await sleep(250);
      }
      await ticker.close();
      await waitForStreamSettled(env.rt, 120_000);
    } finally {
      stream.child.kill('SIGINT');
    }
    const exit = await stream.exited;
    assert.equal(exit.code, 0, exit.output);

    for (const [layer, name] of TABLES) {
      assert.ok(
        peak.get(`${layer}.${name}`)! <= 2 * MIN_FILES,
        `${layer}.${name} peaked at ${peak.get(`${layer}.${name}`)} files in a partition`,
      );
    }
    // Without compaction, bronze's one partition would hold a file per second of the run.
    assert.ok(
      (await filesEverAdded('bronze', 'crypto')) >= 3 * MIN_FILES,
      'the stream wrote enough files for the bound to matter',
    );
    const { rows: compactions } = await env.rt.pool.query(
      `select target from strata_catalog.runs where kind = 'compact' and status = 'succeeded'`,
    );
    assert.ok(
      compactions.some((r) => r.target === 'bronze.crypto') &&
        compactions.some((r) => r.target === 'silver.crypto_ticks'),
      JSON.stringify(compactions),
    );

    const { ticks } = await auditedTicks(env.rt.redis(), streamKey(env.config.redisPrefix, 'crypto'));
    assert.equal(
      await env.rt.catalog.rowCount({ layer: 'silver', name: 'crypto_ticks' }),
      ticks.length,
      'every tick in silver once',
    );
    await assertServedCandles(env.rt.pool, ticks, 'every candle exact');
    console.log(
      `# peak live files per partition: ${[...peak].map(([t, n]) => `${t} ${n}`).join(', ')}; ${compactions.length} compactions; ${ticks.length} ticks`,
    );
  });
});
