import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { compile, isStale, outputOf, sourceFiles } from './compile.mjs';

describe('the compile cache', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'strata-compile-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write('core/answer.ts', 'export const answer: number = 42;\n');
  write('core/helper.mjs', 'export const twice = (n) => n * 2;\n');
  write(
    'bin/ask.ts',
    "import { answer } from '../core/answer.ts';\nimport { twice } from '../core/helper.mjs';\n" +
      "const { answer: again } = await import('../core/answer.ts');\nconsole.log(twice(answer) + again);\n",
  );
  write('core/answer.test.ts', 'throw new Error("tests are not compiled");\n');
  write('core/types.d.ts', 'export type T = string;\n');
  const run = () => spawnSync(process.execPath, [outputOf(root, path.join(root, 'bin/ask.ts'))], { encoding: 'utf8' });

  it('finds runtime sources only: no tests, no declarations, no other folders', () => {
    write('docs/note.ts', 'export {};\n');
    assert.deepEqual(
      sourceFiles(root)
        .map((f) => path.relative(root, f))
        .sort(),
      ['bin/ask.ts', 'core/answer.ts', 'core/helper.mjs'],
    );
  });

  it('transpiles every stale file once, with .ts imports pointing at the .js outputs, and runs', async () => {
    assert.equal(await compile(root), 3);
    assert.equal(await compile(root), 0);
    assert.match(readFileSync(outputOf(root, path.join(root, 'bin/ask.ts')), 'utf8'), /"\.\.\/core\/answer\.js"/);
    assert.equal(run().stdout.trim(), '126');
  });

  it('transpiles again a source newer than its output', async () => {
    const file = path.join(root, 'core/answer.ts');
    writeFileSync(file, 'export const answer: number = 7;\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    assert.equal(isStale(root, file), true);
    assert.equal(await compile(root), 1);
    assert.equal(run().stdout.trim(), '21');
  });

  it('reports a file that does not compile with its line, drops its old output, and compiles the others', async () => {
    const broken = path.join(root, 'core/answer.ts');
    writeFileSync(broken, 'export const answer: number = ;\n');
    write('core/other.ts', 'export const other = 1;\n');
    const later = new Date(Date.now() + 10_000);
    utimesSync(broken, later, later);
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      assert.equal(await compile(root), 1);
    } finally {
      console.error = original;
    }
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^error: core\/answer\.ts:1:\d+ does not compile: /);
    assert.equal(existsSync(outputOf(root, broken)), false);
    assert.equal(existsSync(outputOf(root, path.join(root, 'core/other.ts'))), true);
    assert.notEqual(run().status, 0);
  });
});
