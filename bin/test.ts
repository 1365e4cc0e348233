// `pnpm test`: starts the local services (the same code as `pnpm infra:up`), runs every *.test.ts with Node's test
// runner, then stops the services it started. Integration tests isolate themselves (own database, prefix, lake), so
// files run two at a time (test/support/file-pool.ts); a file marked "Runs alone" runs with nothing beside it.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { COMPILED_ROOTS } from '../core/build/compile.mjs';
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import type { ServiceName } from '../infra/local/index.ts';

const { values, positionals } = parseCommand({
  usage: 'pnpm test [files or folders…] [--lanes <n>] [--keep-services]',
  summary:
    'Runs the unit tests beside the code and the integration tests in test/ against local Redis, PostgreSQL and s3rver.\n' +
    'Each file runs in a process of its own, --lanes at once (longest first, as the last run measured them); each\n' +
    "file's output is printed when it ends, then a summary. Exit code 1 if any file failed.",
  options: {
    lanes: { type: 'string', valueName: 'n', description: 'Test files running at once', default: '2' },
    'keep-services': { type: 'boolean', description: 'Leave services this run started running afterwards' },
  },
  allowPositionals: true,
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config, PROJECT_ROOT } = await import('../core/config.ts');
const { servicesDown, servicesUp } = await import('../infra/local/index.ts');
const { ensureChromium } = await import('../ingest/collectors/web/chromium.ts');
const { runFiles } = await import('../test/support/file-pool.ts');

// Every runtime folder (its unit tests sit beside the code), then the integration tests.
const SEARCHED = [...COMPILED_ROOTS.filter((root) => !root.startsWith('test/')), 'test'];

function testFiles(roots: string[]): string[] {
  return roots
    .flatMap((root) => {
      const full = path.resolve(PROJECT_ROOT, root);
      if (full.endsWith('.test.ts')) return [full];
      try {
        return readdirSync(full, { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.test.ts') && !f.includes('node_modules'))
          .map((f) => path.join(full, f));
      } catch {
        return [];
      }
    })
    .sort();
}

runMain(async () => {
  const lanes = Number(values.lanes);
  if (!Number.isInteger(lanes) || lanes < 1)
    throw new TerminalError(`--lanes must be a whole number ≥ 1, got "${values.lanes}"`);
  const cfg = config();
  const files = testFiles(positionals.length ? positionals : SEARCHED);
  if (!files.length) throw new Error(`No *.test.ts files under ${positionals.join(', ')}`);
  // The web collector's tests render JavaScript pages in the OS Chromium: installed like the services' binaries.
  ensureChromium(cfg.chromiumPath);
  const backing: ServiceName[] = ['redis', 'postgres', 's3'];
  console.log('Local services for the tests:');
  const statuses = await servicesUp(cfg, backing, (s) =>
    console.log(`  ${s.name.padEnd(9)} ${s.address.padEnd(16)} ${s.state}`),
  );
  const started = statuses.filter((s) => s.state === 'started').map((s) => s.name);
  try {
    // Run from inside another test (test/project-copy.test.ts), node:test would skip every file unless told afresh.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const begun = Date.now();
    const results = await runFiles(files, {
      lanes,
      cwd: PROJECT_ROOT,
      env,
      timings: path.join(cfg.dataDir, 'test-timings.json'),
    });
    const failed = results.filter((r) => r.code !== 0);
    const sum = (pick: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + pick(r), 0);
    console.log(
      `\n${results.length} files, ${sum((r) => r.tests)} tests, ${sum((r) => r.failed)} failed, in ${((Date.now() - begun) / 1000).toFixed(0)} s (${lanes} at once)`,
    );
    for (const r of failed) console.log(`FAILED ${path.relative(PROJECT_ROOT, r.file)} (exit code ${r.code})`);
    return failed.length ? 1 : 0;
  } finally {
    if (started.length && !values['keep-services']) await servicesDown(cfg, started);
  }
});
