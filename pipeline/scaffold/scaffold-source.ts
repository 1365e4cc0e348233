// `pnpm new:source <name> --kind …`: a source folder and its silver table, each with its test, that run as generated.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/config.ts';
import { TerminalError } from '../../core/errors.ts';
import { fixtureAddresses } from '../../ingest/sources/index.ts';
import { fixtureFile, sourceTestFile } from './fixture-files.ts';
import {
  SOURCE_KINDS,
  type SourceKind,
  sampleFile,
  settingsFile,
  sourceFile,
  type SourceTemplate,
} from './source-files.ts';
import { sourceTableFiles } from './table-files.ts';

export { SOURCE_KINDS, type SourceKind };

/** Names usable as a folder, a table and an environment variable part. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,40}$/;

/** Writes the files; returns their paths relative to the project. Refuses to overwrite anything. */
export function scaffoldSource(name: string, kind: SourceKind, root = PROJECT_ROOT): string[] {
  if (!NAME_PATTERN.test(name))
    throw new TerminalError(`"${name}" is not a usable name: use lower-case letters, digits and _ (e.g. shop_orders)`);
  if (!SOURCE_KINDS.includes(kind)) throw new TerminalError(`--kind must be one of ${SOURCE_KINDS.join(', ')}`);
  const sourceDir = path.join(root, 'ingest', 'sources', name);
  const tableDir = path.join(root, 'silver', 'tables', name);
  for (const dir of [sourceDir, tableDir])
    if (existsSync(dir)) throw new TerminalError(`${path.relative(root, dir)} already exists; choose another name`);
  const taken = new Set(fixtureAddresses({}).map((a) => Number(a.url.port)));
  let port = 8793;
  while (taken.has(port)) port++;
  const t: SourceTemplate = { name, kind, port };
  const files: Record<string, string | undefined> = {
    [path.join(sourceDir, 'settings.ts')]: settingsFile(t),
    [path.join(sourceDir, 'source.ts')]: sourceFile(t),
    [path.join(sourceDir, 'source.test.ts')]: sourceTestFile(t),
    [path.join(sourceDir, 'fixtures', 'sample.ts')]: sampleFile(t),
    [path.join(sourceDir, 'fixtures', 'fixture.ts')]: fixtureFile(t),
    ...Object.fromEntries(Object.entries(sourceTableFiles(name)).map(([f, text]) => [path.join(tableDir, f), text])),
  };
  return formatted(root, writeAll(root, files));
}

/** Formats the written files as `pnpm lint` wants them (Biome, when installed); returns them. */
export function formatted(root: string, files: string[]): string[] {
  const biome = path.join(root, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', ...files], { cwd: root, stdio: 'ignore' });
  return files;
}

/** Writes each file that has content, creating folders; returns the paths relative to the root. */
export function writeAll(root: string, files: Record<string, string | undefined>): string[] {
  const written: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (text === undefined) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text, { flag: 'wx' });
    written.push(path.relative(root, file));
  }
  return written;
}
