// `pnpm bench:bronze`: events/s from a Redis stream to committed Parquet, next to DuckDB's own NDJSON → Parquet copy
// of the same events measured in the same run (the practical ceiling), and their ratio. Runs in a sandbox.
import { writeFile, rm, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseCommand, runMain } from '../../core/cli.ts';
import { config } from '../../core/config.ts';
import { BRONZE_COLUMNS } from '../../core/bronze-schema.ts';
import { DuckSession, sqlString } from '../../core/duckdb.ts';
import { encodeEnvelope } from '../../core/streams/envelope.ts';
import { streamKey } from '../../core/streams/keys.ts';
import { drainSource } from '../../bronze/bronze-writer.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { isolatedRuntime } from '../../infra/local/sandbox.ts';
import { makeEvents } from './events.ts';
import { compareRates } from './report.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:bronze [--events <n>] [--rounds <n>] [--json]',
  summary:
    'Publishes N envelopes (~400 bytes each) to a fresh stream, then times the bronze writer draining them into committed\n' +
    'zstd Parquet, and DuckDB copying the same events from one NDJSON file to Parquet. Prints both rates and the ratio.',
  options: {
    events: { type: 'string', valueName: 'n', description: 'Events per round', default: '200000' },
    rounds: { type: 'string', valueName: 'n', description: 'Rounds; the median is reported', default: '3' },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

runMain(async () => {
  const n = Number(values.events);
  const rounds = Number(values.rounds);
  await servicesUp(config(), ['redis', 'postgres']);
  const events = makeEvents(n);
  const bytesPerEvent = Math.round(events.reduce((s, e) => s + encodeEnvelope(e).length, 0) / n);
  const writerRates: number[] = [];
  const duckRates: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const env = await isolatedRuntime('file');
    try {
      const key = streamKey(env.config.redisPrefix, 'bench');
      const redis = env.rt.redis();
      for (let i = 0; i < n; i += 5000) {
        const pipeline = redis.pipeline();
        for (const e of events.slice(i, i + 5000)) pipeline.xadd(key, '*', 'envelope', encodeEnvelope(e));
        await pipeline.exec();
      }
      const t0 = performance.now();
      const result = await drainSource(env.rt, 'bench');
      const writerSeconds = (performance.now() - t0) / 1000;
      const committed = await env.rt.catalog.rowCount({ layer: 'bronze', name: 'bench' });
      if (result.status !== 'succeeded' || committed !== n) throw new Error(`writer run invalid: ${result.status}, ${committed}/${n} rows committed ${result.error ?? ''}`);
      writerRates.push(n / writerSeconds);

      // Baseline: the same events, with their stream ids, as one NDJSON file copied by DuckDB alone.
      const dir = path.join(env.config.dataDir, 'tmp', `bench-${process.pid}-${round}`);
      await mkdir(dir, { recursive: true });
      const ids = (await redis.xrange(key, '-', '+')).map(([id]) => id);
      await writeFile(path.join(dir, 'events.ndjson'), events.map((e, i) => `${encodeEnvelope(e).slice(0, -1)},"_stream_id":"${ids[i]}"}`).join('\n') + '\n');
      const duck = await DuckSession.open();
      const columns = `{${Object.entries(BRONZE_COLUMNS).map(([c, t]) => `${c}: '${t}'`).join(', ')}}`;
      const t1 = performance.now();
      await duck.run(`copy (select * from read_json(${sqlString(path.join(dir, 'events.ndjson'))}, format = 'newline_delimited', columns = ${columns}))
                        to ${sqlString(path.join(dir, 'events.parquet'))} (format parquet, compression zstd)`);
      const duckSeconds = (performance.now() - t1) / 1000;
      const copied = Number(await duck.scalar(`select count(*) from read_parquet(${sqlString(path.join(dir, 'events.parquet'))})`));
      duck.close();
      await stat(path.join(dir, 'events.parquet'));
      await rm(dir, { recursive: true, force: true });
      if (copied !== n) throw new Error(`baseline copied ${copied}/${n} rows`);
      duckRates.push(n / duckSeconds);
      console.error(`round ${round}: writer ${Math.round(n / writerSeconds)} events/s (${result.batches} batches, ${result.filesWritten} files), DuckDB copy ${Math.round(n / duckSeconds)} events/s`);
    } finally {
      await env.cleanup();
    }
  }
  const { measured: writer, baseline: duckdb, ratio } = compareRates(
    'bronze writer: stream → committed Parquet', writerRates, 'DuckDB alone: NDJSON file → Parquet', duckRates, 'ratio writer / DuckDB',
  );
  console.log(`${n} events of ~${bytesPerEvent} bytes, ${rounds} rounds; goal ≥ 100000 events/s: ${writer >= 100_000 ? 'met' : 'not met'}`);
  if (values.json) console.log(JSON.stringify({ bench: 'bronze', events: n, rounds, bytesPerEvent, writerEventsPerSec: writer, duckdbEventsPerSec: duckdb, ratio, goalEventsPerSec: 100_000, goalMet: writer >= 100_000 }));
});
