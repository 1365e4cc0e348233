// The long-running bronze writer (a real `pnpm bronze` process) through outages of its dependencies:
// the S3 server stopped mid-run for STRATA_OUTAGE_SECONDS (30 in `pnpm test:faults`, 3 in `pnpm test`), and Redis
// restarted (AOF on). Each runs on private servers started for the test; nothing may be lost or duplicated.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT, loadConfig, readDotenv, type Config } from '../../core/config.ts';
import { withDuck } from '../../core/duckdb.ts';
import { attachTable } from '../../lake/lake-views.ts';
import { sleep } from '../../core/retry.ts';
import { openRuntime, type Runtime } from '../../lake/runtime.ts';
import { encodeEnvelope } from '../../streams/envelope.ts';
import { streamKey } from '../../streams/keys.ts';
import { stopPid } from '../../infra/local/process.ts';
import { redisService } from '../../infra/local/redis-service.ts';
import { s3Service } from '../../infra/local/s3-service.ts';
import { pidFileOf } from '../../infra/local/service.ts';
import { envelope } from '../support/envelopes.ts';
import { isolatedConfig } from '../support/isolated.ts';
import { freePort } from '../../infra/local/process.ts';
import { scriptArgs } from '../../core/modules.ts';

const OUTAGE_SECONDS = Number(process.env.STRATA_OUTAGE_SECONDS ?? 3);
const SOURCE = 'outage';
const WAVE = 4000;

/** A sandbox (own database and prefix) whose Redis or S3 server is a private one on a free port, under a temp folder. */
async function privateSetup(privateServer: 'redis' | 's3') {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'strata-outage-'));
  const port = await freePort();
  const isolated = await isolatedConfig(privateServer === 's3' ? 's3' : 'file');
  const overrides: Record<string, string> = {
    DATABASE_URL: isolated.config.databaseUrl,
    STRATA_REDIS_PREFIX: isolated.config.redisPrefix,
    STRATA_DATA_DIR: dataDir,
    STRATA_LAKE_URL: privateServer === 's3' ? 's3://outage/lake' : `file://${dataDir}/lake`,
    ...(privateServer === 'redis'
      ? { REDIS_URL: `redis://127.0.0.1:${port}/0` }
      : { S3_ENDPOINT: `http://127.0.0.1:${port}` }),
    STRATA_BRONZE_MAX_BATCH_ROWS: '1000',
    STRATA_BRONZE_FLUSH_INTERVAL_MILLIS: '200',
  };
  const config: Config = loadConfig({ ...readDotenv(), ...process.env, ...overrides });
  const service = privateServer === 'redis' ? redisService(config) : s3Service(config);
  await service.start();
  return {
    config,
    overrides,
    start: () => service.start(),
    stop: () => stopPid(pidFileOf(config, service.name)),
    async cleanup() {
      await stopPid(pidFileOf(config, service.name));
      await isolated.cleanup().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function startWriter(overrides: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [...scriptArgs('bin/bronze.ts'), '--source', SOURCE, '--consumer', 'steady'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

async function publish(rt: Runtime, from: number, count: number, ids: string[]): Promise<void> {
  const pipeline = rt.redis().pipeline();
  for (let j = from; j < from + count; j++) {
    const e = envelope(SOURCE, `k${j}`, JSON.stringify({ j }), new Date(Date.UTC(2026, 10, 1 + (j % 2))).toISOString());
    ids.push(e.event_id);
    pipeline.xadd(streamKey(rt.config.redisPrefix, SOURCE), '*', 'envelope', encodeEnvelope(e));
  }
  await pipeline.exec();
}

async function waitForRows(rt: Runtime, rows: number, timeoutMillis: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while ((await rt.catalog.rowCount({ layer: 'bronze', name: SOURCE })) < rows) {
    if (Date.now() > deadline)
      assert.fail(`bronze did not reach ${rows} rows within ${timeoutMillis} ms; writer said:\n${log()}`);
    await sleep(200);
  }
}

async function assertExactlyOnce(rt: Runtime, ids: string[]): Promise<void> {
  const got = await withDuck(async (duck) => {
    await attachTable(rt, duck, { layer: 'bronze', name: SOURCE });
    return (await duck.all('select event_id from bronze.outage order by event_id')).map((r) => r.event_id as string);
  });
  assert.equal(got.length, ids.length);
  assert.deepEqual(got, [...ids].sort());
}

async function stopWriter(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe(`bronze writer through outages (${OUTAGE_SECONDS} s)`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  /** A private server, a runtime on it, a writer process following the stream, and a first wave committed. */
  async function runningWriter(privateServer: 'redis' | 's3') {
    const setup = await privateSetup(privateServer);
    cleanups.push(setup.cleanup);
    const rt = await openRuntime(setup.config);
    cleanups.unshift(() => rt.close());
    const ids: string[] = [];
    const writer = startWriter(setup.overrides);
    await publish(rt, 0, WAVE, ids);
    await waitForRows(rt, WAVE, 60_000, writer.output);
    return { setup, rt, ids, writer };
  }

  it(`retries while the S3 server is down for ${OUTAGE_SECONDS} s and resumes by itself`, async () => {
    const { setup, rt, ids, writer } = await runningWriter('s3');
    await setup.stop();
    await publish(rt, WAVE, WAVE, ids);
    await sleep(OUTAGE_SECONDS * 1000);
    // While S3 is down, nothing of the second wave can be committed: the writer is waiting on the store, not skipping it.
    assert.equal(await rt.catalog.rowCount({ layer: 'bronze', name: SOURCE }), WAVE);
    await setup.start();
    await publish(rt, 2 * WAVE, WAVE, ids);
    await waitForRows(rt, 3 * WAVE, 120_000, writer.output);
    assert.equal(await stopWriter(writer.child), 0, writer.output());
    await assertExactlyOnce(rt, ids);
  });

  it('resumes after Redis restarts with its AOF', async () => {
    const { setup, rt, ids, writer } = await runningWriter('redis');
    await publish(rt, WAVE, WAVE, ids);
    await setup.stop();
    await sleep(1000);
    await setup.start();
    await publish(rt, 2 * WAVE, WAVE, ids);
    await waitForRows(rt, 3 * WAVE, 120_000, writer.output);
    assert.equal(await stopWriter(writer.child), 0, writer.output());
    await assertExactlyOnce(rt, ids);
  });
});
