// `pnpm bench:bronze`: events/s from a Redis stream to committed Parquet, next to two baselines measured in the same
// run on the same events: the floor of the work a writer cannot avoid (read with XREADGROUP as Buffers and
// acknowledged, nothing written), and DuckDB's own NDJSON → Parquet copy. Runs in a sandbox.
import { mkdir, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { drainSource } from '../../bronze/bronze-writer.ts';
import { BRONZE_COLUMNS } from '../../lake/bronze-schema.ts';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';
import { config } from '../../core/config.ts';
import { DuckSession, sqlString } from '../../core/duckdb.ts';
import { encodeEnvelope } from '../../streams/envelope.ts';
import { BRONZE_GROUP, streamKey } from '../../streams/keys.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { isolatedRuntime, type Isolated } from '../../infra/local/sandbox.ts';
import { makeEvents } from '../../test/support/synthetic-events.ts';
import { median } from './report.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:bronze [--events <n>] [--rounds <n>] [--json]',
  summary:
    'Publishes N envelopes (~500 bytes each) to fresh streams, then times, in each round: the bronze writer draining them\n' +
    'into committed zstd Parquet; the same entries only read (XREADGROUP as Buffers, 10,000 at a time) and acknowledged,\n' +
    "the floor of a writer's work; and DuckDB copying them from one NDJSON file to Parquet. Prints the medians and ratios.",
  options: {
    events: {
      type: 'string',
      valueName: 'n',
      description: "Events per round (enough batches that a writer's start does not dominate)",
      default: '500000',
    },
    rounds: { type: 'string', valueName: 'n', description: 'Rounds; the median is reported', default: '3' },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

const GOAL_EVENTS_PER_SEC = 150_000;
const GOAL_READ_ACK_RATIO = 0.8;
const READ_CHUNK = 10_000;

async function publish(redis: Redis, key: string, encoded: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < encoded.length; i += 5000) {
    const pipeline = redis.pipeline();
    for (const e of encoded.slice(i, i + 5000)) pipeline.xadd(key, '*', 'envelope', e);
    for (const [, id] of (await pipeline.exec())!) ids.push(id as string);
  }
  return ids;
}

/** Per stage, the writer's milliseconds of the round (stages overlap: reading runs ahead of writing). */
const stageMillis: Record<string, number>[] = [];

/** The writer: stream → committed Parquet, every row checked in the catalog. */
async function writer(env: Isolated, encoded: string[]): Promise<number> {
  const source = `w${Math.random().toString(36).slice(2, 8)}`;
  await publish(env.rt.redis(), streamKey(env.config.redisPrefix, source), encoded);
  const t0 = performance.now();
  const result = await drainSource(env.rt, source);
  const seconds = (performance.now() - t0) / 1000;
  const committed = await env.rt.catalog.rowCount({ layer: 'bronze', name: source });
  if (result.status !== 'succeeded' || committed !== encoded.length)
    throw new Error(
      `writer run invalid: ${result.status}, ${committed}/${encoded.length} rows committed ${result.error ?? ''}`,
    );
  stageMillis.push({ ...result.timings, wall: seconds * 1000 });
  return encoded.length / seconds;
}

/** The floor: the same entries read in the bronze group as Buffers and acknowledged; nothing is written. */
async function readAck(env: Isolated, encoded: string[]): Promise<number> {
  const redis = env.rt.redis();
  const key = streamKey(env.config.redisPrefix, `r${Math.random().toString(36).slice(2, 8)}`);
  await publish(redis, key, encoded);
  await redis.xgroup('CREATE', key, BRONZE_GROUP, '0');
  const t0 = performance.now();
  let read = 0;
  for (;;) {
    const reply = (await redis.xreadgroupBuffer(
      'GROUP',
      BRONZE_GROUP,
      'floor',
      'COUNT',
      READ_CHUNK,
      'STREAMS',
      key,
      '>',
    )) as [Buffer, [Buffer, Buffer[]][]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) break;
    read += entries.length;
    await redis.xack(key, BRONZE_GROUP, ...entries.map(([id]) => id.toString('latin1')));
  }
  const seconds = (performance.now() - t0) / 1000;
  if (read !== encoded.length) throw new Error(`read-and-acknowledge read ${read}/${encoded.length}`);
  await redis.del(key);
  return encoded.length / seconds;
}

/** DuckDB alone: the same events, with stream ids, as one NDJSON file copied to Parquet. */
async function duckCopy(env: Isolated, encoded: string[]): Promise<number> {
  const dir = path.join(env.config.dataDir, 'tmp', `bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  try {
    const file = await open(path.join(dir, 'events.ndjson'), 'w');
    for (let i = 0; i < encoded.length; i += 50_000) {
      await file.write(
        encoded
          .slice(i, i + 50_000)
          .map((e, j) => `${e.slice(0, -1)},"_stream_id":"1764000000000-${i + j}"}\n`)
          .join(''),
      );
    }
    await file.close();
    const duck = await DuckSession.open({ threads: env.config.bronze.duckdbThreads });
    try {
      const columns = `{${Object.entries(BRONZE_COLUMNS)
        .map(([c, t]) => `${c}: '${t}'`)
        .join(', ')}}`;
      const t0 = performance.now();
      await duck.run(`copy (select * from read_json(${sqlString(path.join(dir, 'events.ndjson'))}, format = 'newline_delimited', columns = ${columns}))
                        to ${sqlString(path.join(dir, 'events.parquet'))} (format parquet, compression zstd)`);
      const seconds = (performance.now() - t0) / 1000;
      const copied = Number(
        await duck.scalar(`select count(*) from read_parquet(${sqlString(path.join(dir, 'events.parquet'))})`),
      );
      await stat(path.join(dir, 'events.parquet'));
      if (copied !== encoded.length) throw new Error(`baseline copied ${copied}/${encoded.length} rows`);
      return encoded.length / seconds;
    } finally {
      duck.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runMain(async () => {
  const n = Number(values.events);
  const rounds = Number(values.rounds);
  await servicesUp(config(), ['redis', 'postgres']);
  const encoded = makeEvents(n).map(encodeEnvelope);
  const bytesPerEvent = Math.round(encoded.reduce((s, e) => s + Buffer.byteLength(e), 0) / n);
  const rates = { writer: [] as number[], readAck: [] as number[], duckdb: [] as number[] };
  const env = await isolatedRuntime('file');
  try {
    for (let round = 1; round <= rounds; round++) {
      // The order turns each round, so a drift in the machine's load does not favour one measure.
      const order = (['writer', 'readAck', 'duckdb'] as const).map((_, i, all) => all[(i + round - 1) % all.length]!);
      for (const measure of order) {
        const rate = await (measure === 'writer' ? writer : measure === 'readAck' ? readAck : duckCopy)(env, encoded);
        rates[measure].push(rate);
      }
      console.error(
        `round ${round}: writer ${Math.round(rates.writer.at(-1)!)}, read+ack ${Math.round(rates.readAck.at(-1)!)}, DuckDB copy ${Math.round(rates.duckdb.at(-1)!)} events/s`,
      );
    }
  } finally {
    await env.cleanup();
  }
  const writerEventsPerSec = Math.round(median(rates.writer));
  const readAckEventsPerSec = Math.round(median(rates.readAck));
  const duckdbEventsPerSec = Math.round(median(rates.duckdb));
  const readAckRatio = Number((writerEventsPerSec / readAckEventsPerSec).toFixed(3));
  const ratio = Number((writerEventsPerSec / duckdbEventsPerSec).toFixed(3));
  console.log(
    formatTable(
      ['measure', 'events/s (median)'],
      [
        ['bronze writer: stream → committed Parquet', writerEventsPerSec],
        ['floor: XREADGROUP as Buffers + XACK, nothing written', readAckEventsPerSec],
        ['DuckDB alone: NDJSON file → Parquet', duckdbEventsPerSec],
        ['ratio writer / floor (readAckRatio)', readAckRatio],
        ['ratio writer / DuckDB', ratio],
      ],
    ),
  );
  // Where a batch's time goes, in the round whose writer rate is the median (milliseconds per 100,000 events).
  const medianRound = rates.writer.indexOf(
    [...rates.writer].sort((a, b) => a - b)[Math.floor(rates.writer.length / 2)]!,
  );
  const stages = stageMillis[medianRound]!;
  const per100k = (ms: number) => Math.round((ms * 100_000) / n);
  console.log(
    formatTable(
      ['writer stage (median round)', 'ms per 100k events', 'share of the wall time'],
      Object.entries(stages).map(([stage, ms]) => [stage, per100k(ms), `${Math.round((100 * ms) / stages.wall!)} %`]),
    ),
  );
  const goalMet = writerEventsPerSec >= GOAL_EVENTS_PER_SEC && readAckRatio >= GOAL_READ_ACK_RATIO;
  console.log(
    `${n} events of ~${bytesPerEvent} bytes, ${rounds} rounds, ${os.cpus().length} cores; goal ≥ ${GOAL_EVENTS_PER_SEC} events/s and readAckRatio ≥ ${GOAL_READ_ACK_RATIO}: ${goalMet ? 'met' : 'not met'}`,
  );
  if (values.json) {
    console.log(
      JSON.stringify({
        bench: 'bronze',
        events: n,
        rounds,
        bytesPerEvent,
        writerEventsPerSec,
        readAckEventsPerSec,
        readAckRatio,
        duckdbEventsPerSec,
        ratio,
        stageMillisPer100k: Object.fromEntries(Object.entries(stages).map(([stage, ms]) => [stage, per100k(ms)])),
        perRound: {
          writer: rates.writer.map(Math.round),
          readAck: rates.readAck.map(Math.round),
          duckdb: rates.duckdb.map(Math.round),
        },
        goalEventsPerSec: GOAL_EVENTS_PER_SEC,
        goalReadAckRatio: GOAL_READ_ACK_RATIO,
        goalMet,
      }),
    );
  }
});
