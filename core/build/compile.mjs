// The compile cache behind every command: the project's TypeScript, transpiled once per change to dist/ (the same
// tree, .js for .ts) so that a command starts on plain JavaScript instead of compiling on every start. Plain JavaScript
// itself, since it runs before any TypeScript can. Freshness is by modification time: a source newer than its output is
// transpiled again (esbuild, loaded only then), so editing a table or a source never needs a build step.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The folders whose TypeScript runs in commands (tests run under tsx and are not compiled, their helpers are). */
export const COMPILED_ROOTS = [
  'bin',
  'core',
  'streams',
  'lake',
  'ingest',
  'bronze',
  'jobs',
  'silver',
  'gold',
  'serving',
  'infra',
  'pipeline',
  // The benchmarks generate their data with the tests' generators.
  'test/support',
];

export const DIST = 'dist';

// Plain JavaScript modules (.mjs) among them are copied as they are, so that compiled code can import them.
const isSource = (file) =>
  (file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts')) || file.endsWith('.mjs');

/** The output of one source file: <root>/dist/<same path>.js. */
export const outputOf = (root, file) => path.join(root, DIST, path.relative(root, file)).replace(/\.ts$/, '.js');

/** Every runtime source file under the project's compiled roots. */
export function sourceFiles(root) {
  const files = [];
  for (const dir of COMPILED_ROOTS) {
    let entries;
    try {
      entries = readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const entry of entries)
      if (isSource(entry) && !entry.includes('node_modules')) files.push(path.join(root, dir, entry));
  }
  return files;
}

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

/** True when a source file's output is missing or older than it. */
export const isStale = (root, file) => mtime(outputOf(root, file)) < mtime(file);

// Relative imports name .ts files in the sources; their outputs are .js files beside each other.
const TS_SPECIFIER = /((?:\bfrom|\bimport)\s*\(?\s*)"(\.\.?\/[^"\n]*?)\.ts"/g;

/**
 * Transpiles the given files (all stale ones when none are given) and returns how many it wrote. Each output is written
 * to a temporary name and renamed, so two commands starting at once never read half a file. A file that does not
 * compile is reported with its line and loses its old output, so nothing runs code older than its source; the other
 * files still compile, and commands that do not import it still run.
 */
export async function compile(root, files = sourceFiles(root).filter((f) => isStale(root, f))) {
  if (!files.length) return 0;
  const { transform } = await import('esbuild');
  let written = 0;
  await Promise.all(
    files.map(async (file) => {
      try {
        await compileOne(transform, root, file);
        written++;
      } catch (error) {
        try {
          rmSync(outputOf(root, file), { force: true });
        } catch {
          // A dist/ this user cannot write: the message below says so.
        }
        const where = error.errors?.[0]?.location;
        const message = error.errors?.[0]?.text ?? error.message;
        const fix =
          error.code === 'EACCES' || error.code === 'EPERM' ? ` (run \`pnpm install\` as the owner of ${DIST}/)` : '';
        console.error(
          `error: ${path.relative(root, file)}${where ? `:${where.line}:${where.column + 1}` : ''} does not compile: ${message}${fix}`,
        );
      }
    }),
  );
  return written;
}

async function compileOne(transform, root, file) {
  const source = readFileSync(file, 'utf8');
  const code = file.endsWith('.mjs')
    ? source
    : (
        await transform(source, {
          loader: 'ts',
          format: 'esm',
          target: 'node20',
          sourcemap: 'inline',
          sourcefile: file,
        })
      ).code.replace(TS_SPECIFIER, '$1"$2.js"');
  const out = outputOf(root, file);
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, out);
}
