// The source folders, found without loading them: what a command's --help names.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sourceDir } from '../../core/modules.ts';

/** The folder sources live in. */
export const SOURCES_ROOT = sourceDir(import.meta.url);

/** The names of the sources with code (folders holding a source.ts), sorted. */
export const sourceFolders = (root = SOURCES_ROOT): string[] =>
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'source.ts')))
    .map((d) => d.name)
    .sort();
