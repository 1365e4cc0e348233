// The architecture's dependency rule, checked over every import in the tree (docs/architecture.md, decision 0024):
// each stage owns its engine and imports only from the stages before it; nothing imports a command in bin/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { PROJECT_ROOT } from '../core/config.ts';
import { LAYERS } from './support/layers.ts';

const layerOf = new Map(LAYERS.flatMap((group, i) => group.map((folder) => [folder, i] as const)));

interface Import {
  from: string;
  to: string;
  line: number;
}

/** The project's .ts files, relative to root, without descending into node_modules, .git or the data folder. */
export function tsFiles(root: string, dir = ''): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', '.git', '.strata'].includes(entry.name) ? [] : tsFiles(root, file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** Every relative import (static, re-export, side effect or dynamic with a literal path), as TypeScript reads them. */
export function importsIn(root: string): Import[] {
  return tsFiles(root).flatMap((file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    return ts
      .preProcessFile(text, true, true)
      .importedFiles.filter((i) => i.fileName.startsWith('./') || i.fileName.startsWith('../'))
      .map((i) => ({
        from: file,
        to: path.normalize(path.join(path.dirname(file), i.fileName)),
        line: text.slice(0, i.pos).split('\n').length,
      }));
  });
}

/** The identifiers and string or template pieces of a file, comments left out, each with its line. */
function codeTokens(text: string): { text: string; line: number }[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const tokens: { text: string; line: number }[] = [];
  const braces: boolean[] = []; // for each open brace: does it close a template's ${…}?
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.OpenBraceToken) braces.push(false);
    if (kind === ts.SyntaxKind.CloseBraceToken && braces.pop()) kind = scanner.reScanTemplateToken(false);
    if (kind === ts.SyntaxKind.TemplateHead || kind === ts.SyntaxKind.TemplateMiddle) braces.push(true);
    if (kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) kind = scanner.reScanSlashToken();
    const line = text.slice(0, scanner.getTokenStart()).split('\n').length;
    if (
      kind === ts.SyntaxKind.Identifier ||
      kind === ts.SyntaxKind.StringLiteral ||
      (kind >= ts.SyntaxKind.NoSubstitutionTemplateLiteral && kind <= ts.SyntaxKind.TemplateTail)
    ) {
      tokens.push({ text: scanner.getTokenValue() || scanner.getTokenText(), line });
    }
  }
  return tokens;
}

const folderOf = (file: string) => file.split(path.sep)[0]!;
const show = (i: Import) => `${i.from}:${i.line} imports ${i.to}`;

describe('the import graph', () => {
  const imports = importsIn(PROJECT_ROOT);

  it('finds the imports it checks', () => {
    assert.ok(imports.length > 500, `only ${imports.length} imports found`);
    assert.ok(imports.some((i) => i.from === 'bronze/bronze-batch.ts' && i.to === 'lake/catalog/catalog.ts'));
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

  it('has no platform file import an example (the demo command and the benchmarks aside)', () => {
    const example = /^(ingest\/sources|silver\/tables|gold\/tables|serving\/pipelines)\/[^/]+\//;
    const exempt = (file: string) =>
      example.test(file) ||
      file.endsWith('.test.ts') ||
      file.startsWith('test/') ||
      file.startsWith('bin/bench/') ||
      file === 'bin/demo.ts';
    const intoExamples = imports.filter((i) => !exempt(i.from) && example.test(i.to));
    assert.deepEqual(intoExamples.map(show), []);
  });

  it('has no platform file name an example in its code (comments aside)', () => {
    const examples = readdirSync(path.join(PROJECT_ROOT, 'ingest/sources'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    assert.ok(examples.length >= 5, `only ${examples.length} example sources found`);
    const naming = new RegExp(examples.join('|'), 'i');
    const platform = tsFiles(PROJECT_ROOT).filter(
      (f) =>
        !/^(ingest\/sources|silver\/tables|gold\/tables|serving\/pipelines)\//.test(f) &&
        !f.endsWith('.test.ts') &&
        !f.startsWith('test/') &&
        !f.startsWith('bin/bench/') &&
        f !== 'bin/demo.ts',
    );
    assert.ok(platform.length > 100, `only ${platform.length} platform files found`);
    const mentions = platform.flatMap((file) =>
      codeTokens(readFileSync(path.join(PROJECT_ROOT, file), 'utf8'))
        .filter((token) => naming.test(token.text) && !token.text.startsWith('node:'))
        .map((token) => `${file}:${token.line} ${token.text}`),
    );
    assert.deepEqual(mentions, []);
  });

  it('has serving read the catalog through its read model, with no SQL of its own against strata_catalog', () => {
    const files = readdirSync(path.join(PROJECT_ROOT, 'serving'), { recursive: true, encoding: 'utf8' });
    const withSql = files.filter(
      (f) =>
        /\.(ts|js)$/.test(f) && readFileSync(path.join(PROJECT_ROOT, 'serving', f), 'utf8').includes('strata_catalog'),
    );
    assert.deepEqual(withSql, []);
  });
});
