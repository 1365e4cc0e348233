// The architecture's dependency rule, checked over every import in the tree (docs/architecture.md, decision 0024):
// each stage owns its engine and imports only from the stages before it; nothing imports a command in bin/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';

/** Platform folders in dependency order: a folder may import from its own group and the groups before it. */
export const LAYERS = [
  ['core'],
  ['streams'],
  ['lake'],
  ['ingest'],
  ['bronze'],
  ['jobs'],
  ['silver', 'gold'],
  ['infra'],
  ['pipeline'],
  ['serving'],
];
const layerOf = new Map(LAYERS.flatMap((group, i) => group.map((folder) => [folder, i] as const)));

interface Import {
  from: string;
  to: string;
  line: number;
}

/** Every relative import (static, re-export, side effect or dynamic with a literal path) of the tree's .ts files. */
export function importsIn(root: string): Import[] {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !/(^|\/)(node_modules|\.strata|\.git)\//.test(f),
  );
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
  return files.flatMap((file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    return [...text.matchAll(pattern)].map((m) => ({
      from: file,
      to: path.normalize(path.join(path.dirname(file), m[1]!)),
      line: text.slice(0, m.index).split('\n').length,
    }));
  });
}

const folderOf = (file: string) => file.split(path.sep)[0]!;
const show = (i: Import) => `${i.from}:${i.line} imports ${i.to}`;

describe('the import graph', () => {
  const imports = importsIn(PROJECT_ROOT);

  it('finds the imports it checks', () => {
    assert.ok(imports.length > 500, `only ${imports.length} imports found`);
    assert.ok(imports.some((i) => i.from === 'bronze/bronze-writer.ts' && i.to === 'lake/catalog/catalog.ts'));
  });

  it('has every platform file import only from its own stage or the stages before it (tests beside code aside)', () => {
    const upward = imports.filter((i) => {
      if (i.from.endsWith('.test.ts')) return false;
      const from = layerOf.get(folderOf(i.from));
      const to = layerOf.get(folderOf(i.to));
      return from !== undefined && (to === undefined || to > from);
    });
    assert.deepEqual(upward.map(show), []);
  });

  it('has nothing import a command in bin/ (commands parse arguments and print)', () => {
    const intoBin = imports.filter((i) => folderOf(i.to) === 'bin' && folderOf(i.from) !== 'bin');
    assert.deepEqual(intoBin.map(show), []);
  });

  it('keeps core/ to itself', () => {
    const out = imports.filter((i) => folderOf(i.from) === 'core' && folderOf(i.to) !== 'core');
    assert.deepEqual(out.map(show), []);
  });
});
