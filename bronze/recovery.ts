// Exact recovery: entries re-delivered to a writer are settled, and which of them are already in a committed bronze
// file is answered from the files' own `_stream_id` column, so it holds with several writers interleaving ids and
// with entries claimed from others.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { TableRef } from '../lake/catalog/catalog.ts';
import { sqlString, type DuckSession } from '../core/duckdb.ts';
import type { Runtime } from '../lake/runtime.ts';
import { compareStreamIds } from '../streams/keys.ts';
import { trimAcknowledged } from '../streams/trim.ts';
import { byIngestDay, writeBatch, type StreamDrain } from './bronze-batch.ts';
import { countRead } from './bronze-result.ts';
import type { StreamEntry } from './stream-reader.ts';

/**
 * Entries delivered before and never acknowledged: ours (a previous run died), then those of writers idle past the
 * claim threshold. Taking them over moves the table's fence first, so the writer they were taken from (if it is
 * still alive) cannot commit them too; then whatever a committed file already holds is only acknowledged.
 */
export async function settleRedelivered(drain: StreamDrain): Promise<void> {
  const { rt, reader, stream, result } = drain;
  for (;;) {
    await drain.beat();
    let entries = await reader.ownPending();
    if (entries.length === 0) {
      entries = (await reader.claimAbandoned()).entries;
      result.claimed += entries.length;
    }
    if (entries.length === 0) return;
    countRead(stream.kind, result, entries.length);
    const fenceEpoch = await rt.catalog.bumpFence(stream.table);
    const done = await committedIds(rt, drain.duck, stream.table, entries, drain.tmpDir);
    result.skippedCommitted += done.size;
    await reader.ack(entries.filter((e) => done.has(e.id)));
    result.trimmed += await trimAcknowledged(rt.redis(), stream.key);
    // Re-delivered entries may span days (a writer dead for a while): one batch per day they were received.
    for (const rest of byIngestDay(entries.filter((e) => !done.has(e.id))))
      await writeBatch(
        drain,
        rest.sort((a, b) => compareStreamIds(a.id, b.id)),
        fenceEpoch,
      );
  }
}

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
    `select distinct f._stream_id as id from read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false) f
       join read_csv(${sqlString(idsFile)}, header = true, columns = {'id': 'VARCHAR'}) r on f._stream_id = r.id`,
  );
  return new Set(rows.map((r) => r.id as string));
}
