// Exact recovery: which re-delivered entries are already in a committed bronze file? Answered from the files'
// own `_stream_id` column, so it holds with several writers interleaving ids and with entries claimed from others.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { TableRef } from '../lake/catalog/catalog.ts';
import { sqlString, type DuckSession } from '../core/duckdb.ts';
import type { Runtime } from '../lake/runtime.ts';
import { compareStreamIds } from '../streams/keys.ts';
import type { StreamEntry } from './stream-reader.ts';

export async function committedIds(
  rt: Runtime,
  duck: DuckSession,
  table: TableRef,
  entries: StreamEntry[],
  tmpDir: string,
): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const ids = entries.map((e) => e.id).sort(compareStreamIds);
  const first = ids[0]!;
  const last = ids[ids.length - 1]!;
  const snapshot = await rt.catalog.currentSnapshot(table);
  const candidates = (snapshot?.files ?? []).filter(
    (f) =>
      f.streamFirstId &&
      f.streamLastId &&
      compareStreamIds(f.streamFirstId, last) <= 0 &&
      compareStreamIds(f.streamLastId, first) >= 0,
  );
  if (candidates.length === 0) return new Set();
  const idsFile = path.join(tmpDir, 'recovery-ids.csv');
  await writeFile(idsFile, `id\n${ids.join('\n')}\n`);
  const paths = await Promise.all(candidates.map((f) => rt.store.localPath(f.path)));
  const rows = await duck.all(
    `select distinct f._stream_id as id from read_parquet([${paths.map(sqlString).join(', ')}]) f
       join read_csv(${sqlString(idsFile)}, header = true, columns = {'id': 'VARCHAR'}) r on f._stream_id = r.id`,
  );
  return new Set(rows.map((r) => r.id as string));
}
