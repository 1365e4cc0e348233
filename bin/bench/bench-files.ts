// `pnpm bench:files`: a generated Parquet file of N rows and the same rows as CSV, each collected by a file source
// (collector → envelopes → stream with dedup, in a process of its own) next to plain pipelined XADD of the same rows
// read by DuckDB, in the same run: rows/s, peak memory and the ratio for each format.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';
import { config, envFor, PROJECT_ROOT } from '../../core/config.ts';
import { DuckSession } from '../../core/duckdb.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { isolatedRuntime } from '../../infra/local/sandbox.ts';
import { readerOf } from '../../ingest/file-sources.ts';
import { streamKey } from '../../streams/keys.ts';
import { writeFlightFiles } from '../../test/support/flight-files.ts';
import { median } from './report.ts';
import { scriptArgs } from '../../core/modules.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:files [--rows <n>] [--rounds <n>] [--json]',
  summary:
    'Generates a Parquet file of N flight rows (191 of them exact repeats) and the same rows as CSV. For each, times a file\n' +
    "source's collection into its Redis stream (the files collector, envelopes with position identity, dedup, one Lua call\n" +
    'per 500 rows) and plain pipelined XADD of the same rows read by DuckDB, and prints rows/s, the ratio (goal ≥ 0.6)\n' +
    "and the collecting process's peak memory.",
  options: {
    rows: { type: 'string', valueName: 'n', description: 'Rows in each file', default: '3000000' },
    rounds: { type: 'string', valueName: 'n', description: 'Rounds; medians are reported', default: '1' },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

const exec = promisify(execFile);
const FORMATS = ['parquet', 'csv'] as const;

/** Plain pipelined XADD of the file's rows as JSON, read by DuckDB in chunks: rows/s. */
async function plainXadd(redis: Redis, key: string, file: string, format: 'parquet' | 'csv'): Promise<number> {
  const duck = await DuckSession.open({ threads: 1 });
  try {
    const started = performance.now();
    const inFlight: Promise<unknown>[] = [];
    let rows = 0;
    for await (const texts of duck.streamColumn(`select to_json(__r)::varchar from ${readerOf(file, format)} __r`)) {
      const pipeline = redis.pipeline();
      for (const text of texts) pipeline.xadd(key, '*', 'row', String(text));
      rows += texts.length;
      inFlight.push(pipeline.exec());
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const seconds = (performance.now() - started) / 1000;
    if ((await redis.xlen(key)) !== rows) throw new Error('plain XADD lost rows');
    return rows / seconds;
  } finally {
    duck.close();
  }
}

runMain(async () => {
  const rows = Number(values.rows);
  const rounds = Number(values.rounds);
  if (!(rows > 1000) || !(rounds >= 1)) throw new Error('--rows must be > 1000 and --rounds ≥ 1');
  await servicesUp(config(), ['redis', 'postgres']);
  const dir = path.join(config().dataDir, 'tmp', `bench-files-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const measured: Record<string, { strata: number[]; plain: number[]; peak: number[] }> = {};
  try {
    console.error(`generating ${rows.toLocaleString('en-US')} rows as Parquet and CSV…`);
    const files = await writeFlightFiles(dir, rows, 191, { csv: true });
    for (let round = 1; round <= rounds; round++) {
      for (const format of FORMATS) {
        measured[format] ??= { strata: [], plain: [], peak: [] };
        const m = measured[format];
        const env = await isolatedRuntime('file');
        // A source of its own each run: its inbox is new, whatever an interrupted run left behind.
        const source = `bench_${process.pid}_${format}_${round}`;
        try {
          const childEnv = { ...process.env, ...envFor(env.config), STRATA_STREAM_MAX_BACKLOG: String(rows * 2) };
          const { stdout } = await exec(
            process.execPath,
            // The heap `pnpm ingest:file` and `pnpm ingest:run` run with (package.json).
            [
              '--max-old-space-size=256',
              ...scriptArgs('bin/bench/bench-files-worker.ts'),
              format,
              files[format],
              source,
            ],
            { cwd: PROJECT_ROOT, env: childEnv, maxBuffer: 16 * 1024 * 1024 },
          );
          const run = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
            seconds: number;
            published: number;
            peakMiB: number;
          };
          if (run.published !== rows) throw new Error(`${format}: published ${run.published} of ${rows} rows`);
          m.strata.push(rows / run.seconds);
          m.peak.push(run.peakMiB);
          const redis = env.rt.redis();
          await redis.del(streamKey(env.config.redisPrefix, source));
          m.plain.push(await plainXadd(redis, streamKey(env.config.redisPrefix, 'plain'), files[format], format));
          await redis.del(streamKey(env.config.redisPrefix, 'plain'));
          console.error(
            `round ${round} ${format}: file source ${Math.round(m.strata.at(-1)!)} rows/s (peak ${Math.round(run.peakMiB)} MiB), plain XADD ${Math.round(m.plain.at(-1)!)} rows/s`,
          );
        } finally {
          await env.cleanup();
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const results = FORMATS.map((format) => {
    const m = measured[format]!;
    const strata = Math.round(median(m.strata));
    const plain = Math.round(median(m.plain));
    return {
      format,
      rowsPerSec: strata,
      plainRowsPerSec: plain,
      ratio: Number((strata / plain).toFixed(3)),
      peakMiB: Math.round(Math.max(...m.peak)),
    };
  });
  console.log(
    formatTable(
      ['format', 'file source rows/s', 'plain XADD rows/s', 'ratio', 'peak MiB'],
      results.map((r) => [r.format, r.rowsPerSec, r.plainRowsPerSec, r.ratio, r.peakMiB]),
    ),
  );
  const met = results.every((r) => r.ratio >= 0.6);
  console.log(`${rows} rows a file; goal ratio ≥ 0.6 for every format: ${met ? 'met' : 'not met'}`);
  if (values.json)
    console.log(JSON.stringify({ bench: 'files', rows, formats: results, goalRatio: 0.6, goalMet: met }));
});
