// Kills real bronze writer processes with SIGKILL at every crash point — before upload, after upload before commit,
// after commit before acknowledge, after acknowledge before trim — and at random moments, then checks that bronze holds
// every event exactly once and Redis none of them.
// STRATA_FAULT_TRIALS and STRATA_FAULT_EVENTS size it: `pnpm test` runs a small version, `pnpm test:faults` the full one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { drainSource } from '../../bronze/bronze-writer.ts';
import { PROJECT_ROOT } from '../../core/config.ts';
import { withDuck } from '../../core/duckdb.ts';
import { attachTable } from '../../lake/lake-views.ts';
import { encodeEnvelope } from '../../streams/envelope.ts';
import { BRONZE_GROUP, streamKey } from '../../streams/keys.ts';
import { prng } from '../../ingest/sources/weather/fixtures/generator.ts';
import { envelope } from '../support/envelopes.ts';
import { isolatedRuntime, type Isolated } from '../support/isolated.ts';
import { scriptArgs } from '../../core/modules.ts';

const TRIALS = Number(process.env.STRATA_FAULT_TRIALS ?? 10);
const EVENTS = Number(process.env.STRATA_FAULT_EVENTS ?? 16_000);
const SEED = Number(process.env.STRATA_FAULT_SEED ?? 7);
const BATCH_ROWS = Math.max(200, Math.floor(EVENTS / (TRIALS * 2)));
const STAGES = [
  'bronze-before-upload',
  'bronze-after-upload',
  'bronze-after-commit',
  'bronze-after-ack',
  'random-moment',
] as const;
const SOURCE = 'faults';

interface Trial {
  stage: (typeof STAGES)[number];
  consumer: string;
  signal: NodeJS.Signals | null;
  code: number | null;
}

/** Runs `pnpm bronze --once` as its own process in the sandbox; SIGKILLs it at a failpoint or after a random delay. */
function runWriter(
  env: Isolated,
  consumer: string,
  failpoint: string | undefined,
  killAfterMillis?: number,
  claimIdleMillis = 0,
): Promise<{ signal: NodeJS.Signals | null; code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    [...scriptArgs('bin/bronze.ts'), '--once', '--source', SOURCE, '--consumer', consumer],
    {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        DATABASE_URL: env.config.databaseUrl,
        STRATA_REDIS_PREFIX: env.config.redisPrefix,
        STRATA_LAKE_URL: env.config.lakeUrl,
        STRATA_BRONZE_MAX_BATCH_ROWS: String(BATCH_ROWS),
        STRATA_BRONZE_CLAIM_IDLE_MILLIS: String(claimIdleMillis),
        STRATA_FAILPOINT: failpoint ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = killAfterMillis === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMillis);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    }),
  );
}

describe(`bronze writer under SIGKILL (${TRIALS} trials, ${EVENTS} events, seed ${SEED})`, () => {
  let env: Isolated;
  const published: string[] = [];
  before(async () => {
    env = await isolatedRuntime();
    const redis = env.rt.redis();
    for (let i = 0; i < EVENTS; i += 5000) {
      const pipeline = redis.pipeline();
      for (let j = i; j < Math.min(EVENTS, i + 5000); j++) {
        const e = envelope(
          SOURCE,
          `k${j}`,
          JSON.stringify({ j, text: 'x'.repeat(200) }),
          new Date(Date.UTC(2026, 10, 1 + (j % 4), j % 24)).toISOString(),
        );
        published.push(e.event_id);
        pipeline.xadd(streamKey(env.config.redisPrefix, SOURCE), '*', 'envelope', encodeEnvelope(e));
      }
      await pipeline.exec();
    }
  });
  after(async () => env?.cleanup());

  it('keeps every event exactly once however the writers die', async () => {
    const random = prng(SEED);
    const trials: Trial[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const stage = STAGES[t % STAGES.length]!;
      const consumer = `writer-${1 + Math.floor(random() * 3)}`;
      const run =
        stage === 'random-moment'
          ? await runWriter(env, consumer, undefined, 300 + Math.floor(random() * 2500))
          : await runWriter(env, consumer, `${stage}:${1 + Math.floor(random() * 3)}`);
      assert.ok(run.signal === 'SIGKILL' || run.code === 0, `trial ${t} ended with code ${run.code}: ${run.output}`);
      trials.push({ stage, consumer, signal: run.signal, code: run.code });
    }
    const killedAt = new Set(trials.filter((t) => t.signal === 'SIGKILL').map((t) => t.stage));
    for (const stage of STAGES.slice(0, 4))
      assert.ok(killedAt.has(stage), `no writer was killed at ${stage}: ${JSON.stringify(trials)}`);

    const final = await drainSource(env.rt, SOURCE, {
      consumer: 'survivor',
      claimIdleMillis: 0,
      maxBatchRows: BATCH_ROWS,
    });
    assert.equal(final.status, 'succeeded', final.error);
    const pending = (await env.rt.redis().xpending(streamKey(env.config.redisPrefix, SOURCE), BRONZE_GROUP)) as [
      number,
    ];
    assert.equal(pending[0], 0, 'every entry is acknowledged');
    assert.equal(
      await env.rt.redis().xlen(streamKey(env.config.redisPrefix, SOURCE)),
      0,
      'every entry is trimmed from Redis',
    );

    const { rows, distinct, ids } = await withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'bronze', name: SOURCE });
      const [counts] = await duck.all(
        'select count(*)::integer as rows, count(distinct event_id)::integer as distinct from bronze.faults',
      );
      const all = await duck.all('select event_id from bronze.faults order by event_id');
      return {
        rows: counts!.rows as number,
        distinct: counts!.distinct as number,
        ids: all.map((r) => r.event_id as string),
      };
    });
    assert.equal(rows, EVENTS, 'no event lost, none duplicated');
    assert.equal(distinct, EVENTS);
    assert.deepEqual(ids, [...published].sort());
    console.log(
      `# trials: ${JSON.stringify(Object.fromEntries(STAGES.map((s) => [s, trials.filter((t) => t.stage === s && t.signal === 'SIGKILL').length])))} killed; final writer settled ${final.skippedCommitted} committed + wrote ${final.rowsOut}`,
    );
  });

  it('lets several live writers share one stream without duplicating a row', async () => {
    const more: string[] = [];
    const redis = env.rt.redis();
    const pipeline = redis.pipeline();
    for (let j = EVENTS; j < EVENTS + 6000; j++) {
      const e = envelope(SOURCE, `k${j}`, `{"j":${j}}`, '2026-11-05T00:00:00.000Z');
      more.push(e.event_id);
      pipeline.xadd(streamKey(env.config.redisPrefix, SOURCE), '*', 'envelope', encodeEnvelope(e));
    }
    await pipeline.exec();
    // Live writers with the default claim threshold: the group splits the entries between them.
    const runs = await Promise.all(['left', 'right'].map((c) => runWriter(env, c, undefined, undefined, 60_000)));
    for (const run of runs) assert.equal(run.code, 0, run.output);
    const [left, right] = runs.map((r) => /\n\S+\s+succeeded\s+(\d+)\s+(\d+)/.exec(r.output)!.slice(1).map(Number));
    assert.equal(
      left![0]! + right![0]!,
      6000,
      `each entry read by exactly one writer: ${runs.map((r) => r.output).join('\n')}`,
    );
    assert.equal(left![1]! + right![1]!, 6000, 'each entry written by exactly one writer');
    assert.equal(await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE }), EVENTS + 6000);
    assert.equal(await redis.xlen(streamKey(env.config.redisPrefix, SOURCE)), 0, 'every entry is trimmed from Redis');
  });
});
