// Running from source (tests, under tsx) or from the compiled copy in dist/ (every command, see bin/strata.mjs): the
// few places that name a file of the project by path go through here, so that both ways find the same file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { compile, DIST, isStale, outputOf } from './build/compile.mjs';
import { PROJECT_ROOT } from './paths.ts';

/** True when this process runs the compiled copy. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The source folder of a module, given its import.meta.url: files beside the source (SQL, assets) live there. */
export function sourceDir(moduleUrl: string): string {
  const dir = path.dirname(fileURLToPath(moduleUrl));
  if (!moduleUrl.endsWith('.js')) return dir;
  const inDist = path.relative(path.join(PROJECT_ROOT, DIST), dir);
  return inDist.startsWith('..') ? dir : path.join(PROJECT_ROOT, inDist);
}

/**
 * Imports a TypeScript module found at run time (a source, a table definition, a pipeline's routes). Compiled, a file
 * of the project is imported from dist/ (transpiled first if it changed since the command started); a file outside the
 * project is loaded through tsx.
 */
export async function importSource(file: string): Promise<unknown> {
  if (!COMPILED) return import(pathToFileURL(file).href);
  const inProject = path.relative(PROJECT_ROOT, file);
  if (!inProject.startsWith('..') && !path.isAbsolute(inProject) && existsSync(file)) {
    if (isStale(PROJECT_ROOT, file)) await compile(PROJECT_ROOT, [file]);
    return import(pathToFileURL(outputOf(PROJECT_ROOT, file)).href);
  }
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(pathToFileURL(file).href, import.meta.url);
}

/** The arguments for `process.execPath` that run one of the project's scripts (`bin/serve.ts`, …) as a command does. */
export const scriptArgs = (script: string, args: readonly string[] = []): string[] => [
  path.join(PROJECT_ROOT, 'bin', 'strata.mjs'),
  script,
  ...args,
];

/**
 * A worker thread running the module `name` (no extension) beside the calling module, the way the caller runs:
 * compiled, its .js twin; from source (tests under tsx), its .ts file, after the thread registers tsx (a thread does
 * not inherit the loader tsx installed in its parent).
 */
export function projectWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const script = new URL(`${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
  if (!callerUrl.endsWith('.ts')) return new Worker(script, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
