// Logs in PostgreSQL (core/log.ts): a run's error and warnings reach strata_catalog.logs and GET /v1/logs; with
// PostgreSQL down for 30 s, the bounded buffer holds what it can, the oldest lines go to the local file, both are
// said once, and every line is in one of the two: none lost.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LogSink } from '../core/log.ts';
import { createPool } from '../core/postgres.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import type { SourceDefinition } from '../ingest/source.ts';
import { openRuntime } from '../lake/runtime.ts';
import { createApp } from '../serving/app.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { startPrivateServices, type PrivateServices } from './support/private-services.ts';

describe("a run's errors and warnings", () => {
  let env: Isolated;
  before(async () => {
    env = await isolatedRuntime();
  });
  after(async () => env?.cleanup());

  it('are in strata_catalog.logs and in GET /v1/logs, by run and by level', async () => {
    const source: SourceDefinition = {
      name: 'logged',
      description: 'a collector that rejects a record, then breaks',
      schemaVersion: 1,
      schedule: '* * * * *',
      async *collect() {
        yield { text: '{"ok":1}' };
        yield { text: 'not json', rejected: 'line 2 is not JSON' };
        yield { checkpoint: async () => {} };
        throw new Error('the inbox vanished');
      },
      parse: () => ({ ok: true, naturalKey: 'k', observedAt: '2026-12-03T00:00:00.000Z' }),
    };
    const result = await runIngest(env.rt, source);
    assert.equal(result.status, 'failed');
    await env.rt.logs.flush();
    const { rows } = await env.rt.pool.query<{ level: string; message: string; target: string }>(
      'select level, message, target from strata_catalog.logs where run_id = $1 order by id',
      [result.runId],
    );
    assert.deepEqual(rows, [
      { level: 'info', message: 'collect logged started', target: 'logged' },
      { level: 'warn', message: 'collect logged: 1 rows rejected (dead-lettered or quarantined)', target: 'logged' },
      { level: 'error', message: 'collect logged failed: the inbox vanished', target: 'logged' },
    ]);
    const app = createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 0 } });
    const read = async (query: string) =>
      ((await (await app.request(`/v1/logs?${query}`)).json()) as { lines: { level: string; runId: string }[] }).lines;
    assert.deepEqual(
      (await read(`run=${result.runId}&level=warn`)).map((l) => [l.level, l.runId]),
      [
        ['error', result.runId],
        ['warn', result.runId],
      ],
    );
    assert.deepEqual((await read(`run=${result.runId}&level=error`)).length, 1);
    const metrics = await (await app.request('/metrics')).text();
    assert.match(metrics, /strata_log_lines\{level="error"\} [1-9]/);
  });
});

describe('logs while PostgreSQL is down', { timeout: 180_000 }, () => {
  let services: PrivateServices;
  before(async () => {
    services = await startPrivateServices();
    // The catalog (and its logs table) as any command creates it.
    await (await openRuntime(services.config)).close();
  });
  after(async () => services?.cleanup());

  it('keeps every line: the buffer holds 1,000, the file the older ones, each said once', async () => {
    const pool = createPool(services.config.databaseUrl, 1, { connectionTimeoutMillis: 1000 });
    pool.on('error', () => {});
    const file = path.join(services.config.dataDir, 'logs', 'outage.log');
    const notices: string[] = [];
    const sink = new LogSink(pool, {
      command: 'outage',
      fallbackFile: file,
      maxBuffered: 1000,
      flushMillis: 50,
      notice: (text) => notices.push(text),
    });
    const stored = async () =>
      Number(
        (await pool.query<{ n: string }>("select count(*) as n from strata_catalog.logs where command = 'outage'"))
          .rows[0]!.n,
      );
    for (let i = 0; i < 300; i++) sink.write('info', `before ${i}`);
    await sink.flush();
    assert.equal(await stored(), 300);

    await services.stop('postgres');
    // 30 s down, 50 lines a second: 1,500 lines, 500 more than the buffer holds.
    for (let second = 0; second < 30; second++) {
      for (let i = 0; i < 50; i++) sink.write(i % 10 === 0 ? 'warn' : 'info', `during ${second * 50 + i}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(
      notices[0]!,
      /PostgreSQL does not take log lines .*up to 1000 wait here, older ones go to .*outage\.log/,
    );
    assert.equal(sink.counts.toFile, 500);

    await services.start('postgres');
    await sink.close(30_000);
    await pool.end();
    const inFile = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string });
    assert.deepEqual(
      inFile.map((l) => l.message),
      Array.from({ length: 500 }, (_, i) => `during ${i}`),
      'the oldest lines of the outage, in order',
    );
    const check = createPool(services.config.databaseUrl, 1);
    try {
      const { rows } = await check.query<{ message: string }>(
        "select message from strata_catalog.logs where command = 'outage' order by id",
      );
      assert.equal(rows.length, 1300);
      assert.deepEqual(
        rows.slice(300).map((r) => r.message),
        Array.from({ length: 1000 }, (_, i) => `during ${500 + i}`),
      );
    } finally {
      await check.end();
    }
    assert.deepEqual(sink.counts, { written: 1300, toFile: 500, lost: 0 });
    assert.equal(notices.length, 2);
    assert.match(notices[1]!, /takes log lines again; 500 lines in all went to/);
    assert.ok(existsSync(file));
  });
});
