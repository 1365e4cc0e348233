// `pnpm bronze`: drains source streams into Parquet in the lake, exactly once.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { withRuntime } from '../core/runtime.ts';
import { drainSource, type BronzeResult } from '../bronze/bronze-writer.ts';
import { SOURCES } from '../ingest/sources/index.ts';

const { values } = parseCommand({
  usage: 'pnpm bronze [--source <name>] [--consumer <name>]',
  summary: 'Reads every source stream (or one) in the "bronze" consumer group, writes zstd Parquet under bronze/<source>/dt=YYYY-MM-DD/, commits the files in the catalog, then acknowledges the entries. Runs until the streams are drained.',
  options: {
    source: { type: 'string', valueName: 'name', description: `Only this source (${Object.keys(SOURCES).join(', ')})` },
    consumer: { type: 'string', valueName: 'name', description: 'Consumer name in the group; a restart under the same name resumes its pending entries', default: 'bronze-1' },
  },
});

runMain(async () => {
  const sources = values.source ? [values.source] : Object.keys(SOURCES);
  const results: BronzeResult[] = await withRuntime(config(), async (rt) => {
    const out: BronzeResult[] = [];
    for (const source of sources) out.push(await drainSource(rt, source, { consumer: values.consumer }));
    return out;
  });
  console.log(formatTable(['source', 'status', 'entries', 'rows written', 'files', 'already committed', 'duration'],
    results.map((r) => [r.source, r.status, r.entriesRead, r.rowsWritten, r.filesWritten, r.skippedCommitted, `${r.durationMillis} ms`])));
  for (const r of results) if (r.error) console.error(`${r.source}: ${r.error}`);
  return results.every((r) => r.status === 'succeeded') ? 0 : 1;
});
