// `pnpm bronze`: the long-running bronze writer (or `--once` to drain and exit), one loop per source stream.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { backoffMillis, sleep } from '../core/retry.ts';
import { withRuntime } from '../lake/runtime.ts';
import { BronzeWriter, drainSource, type BronzeResult } from '../bronze/bronze-writer.ts';
import { deadLetterTable } from '../lake/bronze-schema.ts';
import { AutoCompactor } from '../lake/auto-compact.ts';
import { SOURCES } from '../ingest/sources/index.ts';

const { values } = parseCommand({
  usage: 'pnpm bronze [--once] [--source <name>] [--consumer <name>]',
  summary:
    'Reads every source stream (or one) in the "bronze" consumer group, writes one zstd Parquet file per batch under\n' +
    'bronze/<source>/ingest_date=YYYY-MM-DD/, commits it in the catalog, acknowledges the entries and trims them out of Redis.\n' +
    "Each source's dead letters go the same way to bronze.<source>__dead_letters. On start it settles entries left\n" +
    'unacknowledged by its previous run or claimed from writers idle past STRATA_BRONZE_CLAIM_IDLE_MILLIS. Runs until\n' +
    'SIGTERM/SIGINT, or with --once until the streams are drained. Several writers (distinct --consumer names) share a stream.',
  options: {
    once: { type: 'boolean', description: 'Drain the streams and exit (exit code 1 if a source failed)' },
    source: { type: 'string', valueName: 'name', description: `Only this source (${Object.keys(SOURCES).join(', ')})` },
    consumer: {
      type: 'string',
      valueName: 'name',
      description: "This writer's name in the group; restart under the same name to resume its batch",
      default: `bronze-${process.env.HOSTNAME ?? 'local'}`,
    },
  },
  details:
    'Batching: STRATA_BRONZE_MAX_BATCH_ROWS, STRATA_BRONZE_MAX_BATCH_BYTES, STRATA_BRONZE_FLUSH_INTERVAL_MILLIS. Compaction of the\n' +
    'files it adds (in the background, and once after --once): STRATA_COMPACT_MIN_FILES, STRATA_COMPACT_TARGET_MB,\n' +
    'STRATA_COMPACT_INTERVAL_SECONDS (docs/configuration.md).',
});

const line = (r: BronzeResult) =>
  `${new Date().toISOString()} bronze ${r.source}: ${r.status}, ${r.entriesRead} read, ${r.rowsWritten} rows in ${r.filesWritten} files` +
  `${r.skippedCommitted ? `, ${r.skippedCommitted} already committed` : ''}${r.claimed ? `, ${r.claimed} claimed` : ''}` +
  `${r.invalidEntries ? `, ${r.invalidEntries} dead-lettered` : ''}${r.deadLettersWritten ? `, ${r.deadLettersWritten} dead letters to the lake` : ''}` +
  `, ${r.durationMillis} ms${r.error ? ` — ${r.error}` : ''}`;

runMain(async () => {
  const sources = values.source ? [values.source] : Object.keys(SOURCES);
  return withRuntime(config(), async (rt) => {
    // The files it adds are merged in the background once a partition holds STRATA_COMPACT_MIN_FILES small ones.
    const compactor = new AutoCompactor(rt, {
      tables: () =>
        sources.flatMap((s) => [
          { layer: 'bronze', name: s } as const,
          { layer: 'bronze', name: deadLetterTable(s) } as const,
        ]),
      onCompacted: (r) =>
        console.log(
          `${new Date().toISOString()} compacted ${r.table}: ${r.filesBefore} → ${r.filesAfter} files (${r.partitionsCompacted} partitions)`,
        ),
      onError: (table, error) =>
        console.error(`${new Date().toISOString()} compacting ${table} failed: ${error} (retried at the next pass)`),
    });
    if (values.once) {
      const results: BronzeResult[] = [];
      for (const source of sources) results.push(await drainSource(rt, source, { consumer: values.consumer }));
      await compactor.runOnce();
      console.log(
        formatTable(
          [
            'source',
            'status',
            'entries',
            'rows written',
            'dead letters',
            'files',
            'already committed',
            'claimed',
            'trimmed',
            'duration',
          ],
          results.map((r) => [
            r.source,
            r.status,
            r.entriesRead,
            r.rowsWritten,
            r.deadLettersWritten,
            r.filesWritten,
            r.skippedCommitted,
            r.claimed,
            r.trimmed,
            `${r.durationMillis} ms`,
          ]),
        ),
      );
      for (const r of results) if (r.error) console.error(`${r.source}: ${r.error}`);
      return results.every((r) => r.status === 'succeeded') ? 0 : 1;
    }
    let stopping = false;
    const stop = () => {
      if (!stopping) console.log('stopping after the current batch…');
      stopping = true;
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    console.log(`bronze writer "${values.consumer}" following ${sources.join(', ')} (Ctrl-C to stop)`);
    await Promise.all(
      sources.map(async (source) => {
        const writer = new BronzeWriter(rt, { consumer: values.consumer, shouldStop: () => stopping });
        let failures = 0;
        while (!stopping) {
          const result = await writer.drain(source, 1000);
          if (result.entriesRead + result.deadLettersRead > 0 || result.status === 'failed') console.log(line(result));
          compactor.poke();
          // A failed drain (Redis, S3 or PostgreSQL away) is retried with growing pauses; pending entries wait in Redis.
          failures = result.status === 'failed' ? failures + 1 : 0;
          if (failures) await sleep(backoffMillis(failures + 1, 500, 30_000));
        }
        await writer.close();
      }),
    );
    await compactor.close();
    return 0;
  });
});
