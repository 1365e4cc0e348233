// `pnpm lake:catalog`: a DuckDB database file of views over the lake's current snapshots, which the official DuckDB
// CLI opens directly. Views name local Parquet paths (an s3:// lake's files are read through the local cache).
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckSession } from '../core/duckdb.ts';
import { attachLake } from './lake-session.ts';
import type { Runtime } from '../lake/runtime.ts';

/** Writes the file anew (a temp file renamed over the old one, so a reader never sees half of it); returns the views. */
export async function writeLakeCatalog(rt: Runtime, output: string): Promise<string[]> {
  await mkdir(path.dirname(output), { recursive: true });
  const temp = `${output}.tmp-${process.pid}`;
  await rm(temp, { force: true });
  const duck = await DuckSession.open({ path: temp });
  let names: string[];
  try {
    names = await attachLake(rt, duck);
    await duck.run('checkpoint');
  } finally {
    duck.close();
  }
  await rm(`${temp}.wal`, { force: true });
  await rename(temp, output);
  return names;
}
