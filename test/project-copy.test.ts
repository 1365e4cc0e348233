// The project as a user changes it, in a copy: an example removed by deleting its folders, and a source of one's own
// added by `pnpm new:source`, each with no other edit.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { SOURCES } from '../ingest/sources/index.ts';
import { loadAllTables } from '../jobs/registry.ts';
import { LAYERS } from './support/layers.ts';
import { cloneInto, pnpm } from './support/clone.ts';

/** A clone sharing this checkout's node_modules. */
function copyProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-copy-'));
  cloneInto(path.join(dir, 'strata'));
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'strata', 'node_modules'));
  return path.join(dir, 'strata');
}

/** The folders of one example: its source and every table whose lineage starts at its bronze table. */
async function exampleFolders(source: string): Promise<string[]> {
  const tables = await loadAllTables();
  const owned = new Set([`bronze.${source}`]);
  for (const t of tables) if (t.from.some((f) => owned.has(f))) owned.add(`${t.layer}.${t.name}`);
  const folders = tables.filter((t) => owned.has(`${t.layer}.${t.name}`)).map((t) => path.dirname(t.sqlPath));
  const serving = path.join(PROJECT_ROOT, 'serving', 'pipelines', source);
  const own = [path.join(PROJECT_ROOT, 'ingest', 'sources', source), ...(existsSync(serving) ? [serving] : [])];
  return [...own, ...new Set(folders)].map((f) => path.relative(PROJECT_ROOT, f));
}

const env = () => ({ ...process.env, STRATA_DATA_DIR: undefined }) as NodeJS.ProcessEnv;

describe('a copy of the project', { timeout: 600_000 }, () => {
  const copies: string[] = [];
  after(() => {
    for (const copy of copies) rmSync(path.dirname(copy), { recursive: true, force: true });
  });

  for (const example of ['weapons', 'crypto']) {
    it(`without the ${example} example's folders still typechecks and discovers the rest`, async () => {
      const copy = copyProject();
      copies.push(copy);
      const removed = await exampleFolders(example);
      assert.ok(removed.length >= 2, `${example} has a source and tables: ${removed.join(', ')}`);
      for (const folder of removed) rmSync(path.join(copy, folder), { recursive: true });
      // The platform and the remaining examples, their tests beside them included; test/ and the benchmarks use the
      // examples by name on purpose.
      const platform = LAYERS.flat().concat('bin', 'types');
      writeFileSync(
        path.join(copy, 'tsconfig.copy.json'),
        JSON.stringify({ extends: './tsconfig.json', include: platform, exclude: ['bin/bench', 'test'] }),
      );
      const tsc = await pnpm(['exec', 'tsc', '--noEmit', '-p', 'tsconfig.copy.json'], copy, env());
      assert.equal(tsc.code, 0, tsc.output);
      const listed = await pnpm(['sources'], copy, env());
      assert.equal(listed.code, 0, listed.output);
      const expected = Object.keys(SOURCES).filter((s) => s !== example);
      for (const s of expected) assert.match(listed.output, new RegExp(`^${s}\\s`, 'm'));
      assert.doesNotMatch(listed.output, new RegExp(`^${example}\\s`, 'm'));
      const dryRun = await pnpm(['job:gold', '--dry-run'], copy, env());
      assert.equal(dryRun.code, 0, dryRun.output);
      const gone = removed.filter((f) => f.includes('/tables/')).map((f) => path.basename(f));
      for (const table of gone) assert.doesNotMatch(dryRun.output, new RegExp(`\\.${table}\\b`));
    });
  }

  it('with `pnpm new:source demo_csv --kind files` passes `pnpm test:tables --select demo_csv+` with no edit', async () => {
    const copy = copyProject();
    copies.push(copy);
    const made = await pnpm(['new:source', 'demo_csv', '--kind', 'files'], copy, env());
    assert.equal(made.code, 0, made.output);
    assert.deepEqual(readdirSync(path.join(copy, 'silver', 'tables', 'demo_csv')).sort(), [
      'demo_csv.sql',
      'demo_csv.table.ts',
      'demo_csv.test.ts',
    ]);
    const tables = await pnpm(['test:tables', '--select', 'demo_csv+'], copy, env());
    assert.equal(tables.code, 0, tables.output);
    assert.match(tables.output, /^# pass 2$/m);
    assert.match(tables.output, /^# fail 0$/m);
    const own = await pnpm(['test', 'ingest/sources/demo_csv'], copy, env());
    assert.equal(own.code, 0, own.output);
    const lint = await pnpm(['lint'], copy, env());
    assert.equal(lint.code, 0, lint.output);
  });
});
