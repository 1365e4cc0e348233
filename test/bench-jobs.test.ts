// pnpm bench:jobs on a small generated bronze: it runs both sides, they agree, and --json ends with one object.
// (Its timings are printed, never asserted: these machines are shared.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { scriptArgs } from '../core/modules.ts';

describe('pnpm bench:jobs', { timeout: 180_000 }, () => {
  it('runs silver + gold through the runner and bare DuckDB on the same rows, and prints one JSON object last', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...scriptArgs('bin/bench/bench-jobs.ts'), '--rows', '20000', '--json'],
      {
        cwd: PROJECT_ROOT,
        timeout: 170_000,
      },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number | string | boolean>;
    // 20,000 rows: every 10th revises the row before it (18,000 station-hours); 20 station-hours have only an
    // impossible reading (every 1000th row, none of them revised), which silver quarantines.
    assert.equal(result.silverRows, 18_000 - 20);
    // 5,000 stations over 8 cities: 20,000 rows are 4 hours of one day, so 8 city-days.
    assert.equal(result.goldRows, 8);
    assert.equal(result.bench, 'jobs');
    for (const key of ['runnerSeconds', 'duckdbSeconds', 'ratio', 'runnerPeakRssBytes'])
      assert.ok(typeof result[key] === 'number' && (result[key] as number) > 0, key);
  });
});
