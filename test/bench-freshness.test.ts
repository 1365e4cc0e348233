// pnpm bench:freshness at a small rate: every tick collected in the measured seconds must become visible through the
// API, and --json ends with one object. (Its timings are printed, never asserted: these machines are shared; the exit
// code says whether the p95 goal was met, so it is not asserted either.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { scriptArgs } from '../core/modules.ts';

describe('pnpm bench:freshness', { timeout: 240_000 }, () => {
  it('sees every collected tick through the API and prints one JSON object last', async () => {
    const args = ['--rate', '200', '--seconds', '6', '--warmup', '6', '--json'];
    const stdout = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [...scriptArgs('bin/bench/bench-freshness.ts'), ...args],
        { cwd: PROJECT_ROOT, timeout: 230_000 },
        (_, out) => resolve(out),
      );
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number | string | boolean>;
    assert.equal(result.bench, 'freshness');
    assert.equal(result.rate, 200);
    assert.ok((result.eventsExpected as number) >= 200 * 5, `expected events: ${result.eventsExpected}`);
    assert.equal(result.eventsMeasured, result.eventsExpected, 'every tick of the measured seconds became visible');
    assert.equal(result.eventsNeverVisible, 0);
    for (const key of [
      'apiP50Seconds',
      'apiP95Seconds',
      'bronzeP50Seconds',
      'bronzeP95Seconds',
      'ratioApiToBronzeP95',
    ]) {
      assert.ok(typeof result[key] === 'number' && (result[key] as number) > 0, key);
    }
    assert.ok((result.apiP95Seconds as number) >= (result.apiP50Seconds as number));
  });
});
