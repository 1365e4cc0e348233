// Runs test files in a pool of processes, each file in a process of its own (`node --import tsx <file>`: node:test runs
// a file's tests when the file is run), at most `lanes` at once, longest first when an earlier run measured them. A
// file that starts with a line `// Runs alone: <why>` runs after all others, with nothing beside it. Each file's
// output is printed whole when it ends, with its time, then one summary.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface FileResult {
  file: string;
  code: number;
  seconds: number;
  tests: number;
  failed: number;
}

const ALONE = /^\/\/ Runs alone:/m;
/** tsx's loader by its location, so that a file anywhere runs with the project's TypeScript support. */
const TSX = import.meta.resolve('tsx');

export const runsAlone = (file: string) => ALONE.test(readFileSync(file, 'utf8').slice(0, 4000));

/** Runs one file; resolves with its outcome once its process exits. */
function runFile(file: string, cwd: string, env: NodeJS.ProcessEnv): Promise<FileResult & { output: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', TSX, file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stderr.on('data', (d: Buffer) => chunks.push(d));
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
      resolve({
        file,
        code: code ?? (signal ? 1 : 0),
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        tests: count('tests'),
        failed: count('fail') + count('cancelled'),
        output,
      });
    }),
  );
}

/** Runs every file, `lanes` at once, then the files that run alone; returns each file's outcome. */
export async function runFiles(
  files: string[],
  options: { lanes: number; cwd: string; env: NodeJS.ProcessEnv; timings: string },
): Promise<FileResult[]> {
  const known: Record<string, number> = existsSync(options.timings)
    ? (JSON.parse(readFileSync(options.timings, 'utf8')) as Record<string, number>)
    : {};
  const rel = (f: string) => path.relative(options.cwd, f);
  const byLength = (a: string, b: string) => (known[rel(b)] ?? 0) - (known[rel(a)] ?? 0);
  const alone = files.filter(runsAlone);
  const shared = files.filter((f) => !alone.includes(f)).sort(byLength);
  const results: FileResult[] = [];
  const report = (r: FileResult & { output: string }) => {
    process.stdout.write(
      `\n── ${rel(r.file)}: ${r.code === 0 ? 'ok' : 'FAILED'}, ${r.tests} tests in ${r.seconds.toFixed(1)} s\n${r.output}`,
    );
    const { output: _, ...result } = r;
    results.push(result);
  };
  const queue = [...shared];
  const lane = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) report(await runFile(file, options.cwd, options.env));
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.lanes, shared.length)) }, lane));
  for (const file of alone) report(await runFile(file, options.cwd, options.env));
  mkdirSync(path.dirname(options.timings), { recursive: true });
  // Files since deleted are forgotten, so the record holds at most one entry per test file.
  const kept = Object.entries(known).filter(([f]) => existsSync(path.join(options.cwd, f)));
  const measured = results.map((r) => [rel(r.file), Math.round(r.seconds)]);
  writeFileSync(options.timings, `${JSON.stringify(Object.fromEntries([...kept, ...measured]), null, 2)}\n`);
  return results;
}
