#!/usr/bin/env node
// Starts a command: `node bin/strata.mjs <command> [arguments…]` runs bin/<command>.ts (or any script of the project
// named by its path, such as pipeline/batch-process.ts) from its compiled copy in dist/, transpiling first whatever
// changed since the last start (see core/build/compile.mjs). `build` only transpiles.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile, outputOf } from '../core/build/compile.mjs';

const root = path.resolve(import.meta.dirname, '..');
const [command, ...args] = process.argv.slice(2);
const source = command && path.join(root, command.endsWith('.ts') ? command : path.join('bin', `${command}.ts`));
if (!command || command === 'build' || !existsSync(source)) {
  const written = await compile(root);
  if (command === 'build') console.log(`Compiled ${written} changed file(s) to dist/.`);
  else {
    console.error(
      `Unknown command "${command ?? ''}": name a file of bin/ without .ts (for example: sql, job, serve).`,
    );
    process.exitCode = 2;
  }
} else {
  await compile(root);
  // A command that does not compile has been reported; nothing older than its source runs.
  if (!existsSync(outputOf(root, source))) process.exit(1);
  process.setSourceMapsEnabled(true);
  // The command sees its own arguments as if it had been started directly.
  process.argv = [process.argv[0], outputOf(root, source), ...args];
  await import(pathToFileURL(outputOf(root, source)).href);
}
