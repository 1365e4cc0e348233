// Replays a source's dead letters. They live in the lake (bronze.<source>__dead_letters); those still in Redis are
// committed there first. Each letter not replayed yet goes through the source's parser again (fixed since, one hopes);
// those that parse now are published to the stream (deduplicated like any event), and only then marked replayed in
// the lake (a rewrite of their files, as a new snapshot): a crash in between repeats a replay, whose events the dedup
// drops, and never loses a record. A letter is never erased: the table keeps the whole history of what failed.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BronzeWriter } from './bronze-writer.ts';
import { deadLetterTable } from '../lake/bronze-schema.ts';
import type { DataFile, LiveFile, TableRef } from '../lake/catalog/catalog.ts';
import { newRunId } from '../lake/catalog/runs.ts';
import { sqlString, withDuck, type DuckSession } from '../core/duckdb.ts';
import { CommitConflictError, describeError } from '../core/errors.ts';
import { withRetry } from '../core/retry.ts';
import type { Runtime } from '../lake/runtime.ts';
import { StreamPublisher } from '../streams/publisher.ts';
import { REJECTED_BY_COLLECTOR, toEnvelopes } from '../ingest/envelopes.ts';
import { protectorFor } from '../ingest/protect.ts';
import type { SourceDefinition } from '../ingest/source.ts';

export interface ReplayResult {
  source: string;
  runId: string;
  /** Dead letters read (not replayed before). */
  examined: number;
  /** Parsed now and appended to the stream. */
  replayed: number;
  /** Parsed now but already in the stream (the record had been collected again since). */
  duplicates: number;
  /** Still rejected by the parser: left as they are, for a later replay. */
  stillFailing: number;
  /** Letters of the bronze writer (a malformed stream entry) or of a collector (not the record as sent): left as they are. */
  skipped: number;
}

interface Letter {
  event_id: string;
  reason: string;
  raw: string;
}

const BATCH = 500;

/** Whether a letter holds a record as its source sent it, which a parser may accept now. */
const isRecord = (l: Letter) => !l.reason.includes('(stream entry ') && !l.reason.startsWith(REJECTED_BY_COLLECTOR);

export async function replayDeadLetters(
  rt: Runtime,
  source: SourceDefinition,
  options: { limit?: number } = {},
): Promise<ReplayResult> {
  const runId = await rt.runs.start('replay', source.name, newRunId('replay'));
  const result: ReplayResult = {
    source: source.name,
    runId,
    examined: 0,
    replayed: 0,
    duplicates: 0,
    stillFailing: 0,
    skipped: 0,
  };
  const table: TableRef = { layer: 'bronze', name: deadLetterTable(source.name) };
  const tmpDir = path.join(rt.config.dataDir, 'tmp', 'replay', runId);
  try {
    // Letters still in Redis are committed to the lake first, so the lake is the one place a replay reads.
    const writer = new BronzeWriter(rt, { consumer: 'replay', recordRuns: false, kinds: ['dead-letters'] });
    const drained = await writer.drain(source.name).finally(() => writer.close());
    if (drained.status === 'failed')
      throw new Error(`could not commit the dead letters still in Redis: ${drained.error}`);
    await mkdir(tmpDir, { recursive: true });
    await withDuck(async (duck) => {
      const snapshot = await rt.catalog.currentSnapshot(table);
      if (!snapshot?.files.length) return;
      const letters = await pendingLetters(rt, duck, snapshot.files, options.limit ?? Number.MAX_SAFE_INTEGER);
      result.examined = letters.length;
      const publisher = StreamPublisher.fromConfig(rt.redis(), rt.config);
      const protector = protectorFor(rt.config, source);
      const replayed = new Set<string>();
      for (let i = 0; i < letters.length; i += BATCH) {
        const records = letters.slice(i, i + BATCH).filter((l) => {
          if (!isRecord(l)) result.skipped++;
          return isRecord(l);
        });
        const parsed = records.map((l) => ({
          id: l.event_id,
          event: toEnvelopes(source, [{ text: l.raw }], runId, rt.config.maxEventBytes, protector).events[0],
        }));
        const replayable = parsed.filter((p) => p.event);
        result.stillFailing += records.length - replayable.length;
        if (replayable.length === 0) continue;
        const counts = await publisher.publish(
          source.name,
          replayable.map((p) => p.event!),
        );
        result.replayed += counts.appended;
        result.duplicates += counts.duplicates;
        for (const p of replayable) replayed.add(p.id);
      }
      if (replayed.size) await markReplayed(rt, duck, table, replayed, runId, tmpDir);
    });
    await rt.runs.finish(runId, {
      status: 'succeeded',
      rowsIn: result.examined,
      rowsOut: result.replayed,
      details: { ...result },
    });
  } catch (error) {
    await rt.runs.finish(runId, {
      status: 'failed',
      rowsIn: result.examined,
      rowsOut: result.replayed,
      error: describeError(error),
      details: { ...result },
    });
    throw error;
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return result;
}

async function readFiles(rt: Runtime, files: LiveFile[]): Promise<string> {
  const paths = await Promise.all(files.map((f) => rt.store.localPath(f.path)));
  return `read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = false)`;
}

/** Letters not replayed yet, oldest first. */
async function pendingLetters(rt: Runtime, duck: DuckSession, files: LiveFile[], limit: number): Promise<Letter[]> {
  const rows = await duck.all(
    `select event_id, reason, raw from ${await readFiles(rt, files)} where replayed_at is null order by failed_at, _stream_id limit ${Math.min(limit, 2 ** 31 - 1)}`,
  );
  return rows.map((r) => ({ event_id: String(r.event_id), reason: String(r.reason ?? ''), raw: String(r.raw ?? '') }));
}

/**
 * Marks letters replayed: each file holding one is rewritten with replayed_at and replay_run_id set, and replaces the
 * old one in one commit (as its successor: a table that had read the old file has read this one). A commit that
 * raced with compaction is refused and retried on the new snapshot.
 */
async function markReplayed(
  rt: Runtime,
  duck: DuckSession,
  table: TableRef,
  ids: Set<string>,
  runId: string,
  tmpDir: string,
): Promise<void> {
  const idsFile = path.join(tmpDir, 'replayed.csv');
  await writeFile(idsFile, `event_id\n${[...ids].join('\n')}\n`);
  const replayed = `read_csv(${sqlString(idsFile)}, header = true, columns = {'event_id': 'VARCHAR'})`;
  await withRetry(
    async () => {
      const snapshot = (await rt.catalog.currentSnapshot(table))!;
      const add: DataFile[] = [];
      const remove: number[] = [];
      for (const [i, file] of snapshot.files.entries()) {
        const source = await readFiles(rt, [file]);
        const hits = Number(
          await duck.scalar(
            `select count(*) from ${source} where replayed_at is null and event_id in (select event_id from ${replayed})`,
          ),
        );
        if (hits === 0) continue;
        const local = path.join(tmpDir, `${i}.parquet`);
        await duck.run(
          `copy (select * replace (
                 case when replayed_at is null and event_id in (select event_id from ${replayed}) then now() else replayed_at end as replayed_at,
                 case when replayed_at is null and event_id in (select event_id from ${replayed}) then ${sqlString(runId)} else replay_run_id end as replay_run_id)
               from ${source} order by _stream_id)
           to ${sqlString(local)} (format parquet, compression zstd)`,
        );
        const key = `${path.posix.dirname(file.path)}/replayed-${runId}-${i}.parquet`;
        const info = await rt.store.putFile(key, local);
        add.push({
          path: key,
          rowCount: file.rowCount,
          bytes: info.bytes,
          partitionValues: file.partitionValues,
          columnStats: file.columnStats,
          streamFirstId: file.streamFirstId,
          streamLastId: file.streamLastId,
          compactedFrom: [file.fileId],
        });
        remove.push(file.fileId);
      }
      if (remove.length) {
        await rt.catalog.commit({
          table,
          baseSnapshotId: snapshot.snapshotId,
          operation: 'overwrite',
          remove,
          add,
          runId,
          summary: { replayed: ids.size },
        });
      }
    },
    { attempts: 5, isRetryable: (e) => e instanceof CommitConflictError },
  );
}
