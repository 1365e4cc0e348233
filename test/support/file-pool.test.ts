import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runFiles } from './file-pool.ts';

describe('the test file pool', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-pool-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(
      path.join(dir, name),
      `import { it } from 'node:test';\nimport assert from 'node:assert/strict';\n${text}`,
    );
    return path.join(dir, name);
  };
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;

  it('runs each file in its own process, counts its tests and failures, runs the lone file last, and keeps times', async () => {
    const passing = file('a.test.ts', "it('one', () => {});\nit('two', () => {});\n");
    const failing = file('b.test.ts', "it('fails', () => assert.equal(1, 2));\n");
    const alone = file('c.test.ts', "// Runs alone: a test of the pool.\nit('alone', () => {});\n");
    const timings = path.join(dir, 'timings.json');
    const output: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => output.push(String(chunk)) > 0) as typeof process.stdout.write;
    let results: Awaited<ReturnType<typeof runFiles>>;
    try {
      results = await runFiles([alone, passing, failing], { lanes: 2, cwd: dir, env, timings });
    } finally {
      process.stdout.write = write;
    }
    assert.deepEqual(results.map((r) => [path.basename(r.file), r.code === 0, r.tests, r.failed]).sort(), [
      ['a.test.ts', true, 2, 0],
      ['b.test.ts', false, 1, 1],
      ['c.test.ts', true, 1, 0],
    ]);
    assert.equal(path.basename(results.at(-1)!.file), 'c.test.ts');
    assert.ok(output.some((o) => o.startsWith('\n── b.test.ts: FAILED, 1 tests in ')));
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(timings, 'utf8'))).sort(), [
      'a.test.ts',
      'b.test.ts',
      'c.test.ts',
    ]);
  });
});
