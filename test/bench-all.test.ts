// `pnpm bench` on a subset, in its quick mode: each benchmark runs in its own process and the summary's last line is
// one JSON object with a figure and a ratio for every stage (the figures themselves are not checked: timings vary).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { scriptArgs } from '../core/modules.ts';

describe('pnpm bench --json', { timeout: 300_000 }, () => {
  it('runs each benchmark and reports every stage with its baseline and ratio', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...scriptArgs('bin/bench/bench-all.ts'), '--only', 'ingest,writers', '--quick', '--json'],
      {
        cwd: PROJECT_ROOT,
        timeout: 280_000,
        maxBuffer: 16 * 2 ** 20,
      },
    );
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      bench: string;
      failed: string[];
      stages: { stage: string; ratio: number; figure: string; baseline: string }[];
      results: {
        ingest: { events: number; duplicates: number };
        writers: { results: { writers: number; eventsPerSec: number; ratio: number }[] };
      };
    };
    assert.equal(summary.bench, 'all');
    assert.deepEqual(summary.failed, []);
    assert.deepEqual(
      summary.stages.map((s) => s.stage),
      ['ingest: collector → stream, with dedup', 'bronze: 2 writers on one stream'],
    );
    for (const s of summary.stages) {
      assert.ok(Number.isFinite(s.ratio) && s.ratio > 0, `${s.stage}: ratio ${s.ratio}`);
      assert.match(s.figure, /^[\d,]+ events\/s$/);
    }
    assert.deepEqual([summary.results.ingest.events, summary.results.ingest.duplicates], [20_000, 6_000]);
    const writers = summary.results.writers.results;
    assert.deepEqual(
      writers.map((w) => w.writers),
      [1, 2],
    );
    assert.equal(writers[0]!.ratio, 1);
    assert.equal(summary.stages[1]!.ratio, writers[1]!.ratio);
    assert.match(stdout, /^stage\s+figure\s+baseline\s+ratio\s+goal\s+met/m);
  });
});
