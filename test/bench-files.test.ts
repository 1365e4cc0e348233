// `pnpm bench:files` on a small file: both formats collected whole (every row published, the 191 repeats included)
// and compared with plain XADD of the same rows (the figures themselves are not checked: timings vary).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { scriptArgs } from '../core/modules.ts';

describe('pnpm bench:files --json', { timeout: 300_000 }, () => {
  it('collects the Parquet and the CSV file whole and reports rows/s, peak memory and a ratio for each', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...scriptArgs('bin/bench/bench-files.ts'), '--rows', '20000', '--json'],
      { cwd: PROJECT_ROOT, timeout: 280_000, maxBuffer: 16 * 2 ** 20 },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      bench: string;
      rows: number;
      formats: { format: string; rowsPerSec: number; plainRowsPerSec: number; ratio: number; peakMiB: number }[];
    };
    assert.equal(result.bench, 'files');
    assert.equal(result.rows, 20_000);
    assert.deepEqual(
      result.formats.map((f) => f.format),
      ['parquet', 'csv'],
    );
    for (const f of result.formats) {
      assert.ok(f.rowsPerSec > 0 && f.plainRowsPerSec > 0 && f.peakMiB > 0, JSON.stringify(f));
      assert.equal(f.ratio, Number((f.rowsPerSec / f.plainRowsPerSec).toFixed(3)));
    }
    assert.match(stdout, /^format\s+file source rows\/s\s+plain XADD rows\/s\s+ratio\s+peak MiB/m);
  });
});
