// pnpm bench:api on a small table: both servers answer the same page, autocannon drives each, and --json ends with
// one object. (Its figures are printed, never asserted: these machines are shared.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { scriptArgs } from '../core/modules.ts';

describe('pnpm bench:api', { timeout: 180_000 }, () => {
  it('drives the Strata app and a bare node:http + pg server with the same query, and prints one JSON object last', async () => {
    const args = ['--cities', '5', '--days', '60', '--seconds', '1', '--rounds', '1', '--connections', '4', '--json'];
    const { stdout } = await promisify(execFile)(process.execPath, [...scriptArgs('bin/bench/bench-api.ts'), ...args], {
      cwd: PROJECT_ROOT,
      timeout: 170_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
    assert.equal(result.bench, 'api');
    assert.equal(result.rows, 300);
    for (const key of ['strataRps', 'bareRps', 'rpsRatio'])
      assert.ok(typeof result[key] === 'number' && (result[key] as number) > 0, key);
    for (const key of ['strataP99Ms', 'bareP99Ms'])
      assert.ok(typeof result[key] === 'number' && (result[key] as number) >= 0, key);
    assert.ok(result.p99Ratio === null || (typeof result.p99Ratio === 'number' && result.p99Ratio > 0));
  });
});
