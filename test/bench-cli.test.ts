// pnpm bench:cli, one round: every command it times succeeds, and --json ends with one object naming each of them.
// (Its timings are printed, never asserted: these machines are shared.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { scriptArgs } from '../core/modules.ts';

describe('pnpm bench:cli', { timeout: 120_000 }, () => {
  it('times --help, sql -c "select 1" and the tsx baseline against node -e \'\' and prints one JSON object last', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...scriptArgs('bin/bench/bench-cli.ts'), '--rounds', '1', '--json'],
      { cwd: PROJECT_ROOT, timeout: 110_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      bench: string;
      baselineSeconds: number;
      results: { command: string; seconds: number; ratio: number }[];
    };
    assert.equal(result.bench, 'cli');
    assert.deepEqual(
      result.results.map((r) => r.command),
      [
        "node -e ''",
        'pnpm sql --help',
        'pnpm job:silver --help',
        'pnpm ingest:run --help',
        'pnpm serve --help',
        'pnpm demo --help',
        'pnpm sql -c "select 1"',
        'node --import tsx bin/sql.ts --help',
        'node --import tsx bin/serve.ts --help',
      ],
    );
    assert.equal(result.results[0]!.ratio, 1);
    for (const r of result.results) {
      assert.ok(r.seconds > 0, r.command);
      assert.ok(Math.abs(r.ratio - r.seconds / result.baselineSeconds) < 0.02, `${r.command}: ratio ${r.ratio}`);
    }
  });
});
