// `pnpm bronze`: drains source streams into Parquet in the lake, exactly once.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { sleep } from '../core/retry.ts';
import { withRuntime } from '../core/runtime.ts';
import { drainSource, type BronzeResult } from '../bronze/bronze-writer.ts';
import { SOURCES } from '../ingest/sources/index.ts';

const { values } = parseCommand({
  usage: 'pnpm bronze [--source <name>] [--follow] [--consumer <name>]',
  summary: 'Reads every source stream (or one) in the "bronze" consumer group, writes zstd Parquet under bronze/<source>/dt=YYYY-MM-DD/, commits the files in the catalog, then acknowledges the entries. Exits when the streams are drained, or keeps following them with --follow.',
  options: {
    source: { type: 'string', valueName: 'name', description: `Only this source (${Object.keys(SOURCES).join(', ')})` },
    follow: { type: 'boolean', description: 'Keep running: drain again every --interval-seconds until SIGTERM/SIGINT' },
    'interval-seconds': { type: 'string', valueName: 's', description: 'Pause between drains with --follow', default: '5' },
    consumer: { type: 'string', valueName: 'name', description: 'Consumer name in the group; a restart under the same name resumes its pending entries', default: 'bronze-1' },
  },
});

function print(results: BronzeResult[]): void {
  console.log(formatTable(['source', 'status', 'entries', 'rows written', 'files', 'already committed', 'duration'],
    results.map((r) => [r.source, r.status, r.entriesRead, r.rowsWritten, r.filesWritten, r.skippedCommitted, `${r.durationMillis} ms`])));
  for (const r of results) if (r.error) console.error(`${r.source}: ${r.error}`);
}

runMain(async () => {
  const sources = values.source ? [values.source] : Object.keys(SOURCES);
  const intervalMillis = Number(values['interval-seconds']) * 1000;
  if (!(intervalMillis > 0)) throw new TerminalError('--interval-seconds must be a positive number');
  let stopping = false;
  const stop = () => (stopping = true);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return withRuntime(config(), async (rt) => {
    for (;;) {
      const results: BronzeResult[] = [];
      for (const source of sources) results.push(await drainSource(rt, source, { consumer: values.consumer }));
      if (!values.follow) {
        print(results);
        return results.every((r) => r.status === 'succeeded') ? 0 : 1;
      }
      // In follow mode only batches that moved something (or failed) are worth a line.
      const busy = results.filter((r) => r.entriesRead > 0 || r.status === 'failed');
      if (busy.length) print(busy);
      for (let waited = 0; waited < intervalMillis && !stopping; waited += 250) await sleep(250);
      if (stopping) return 0;
    }
  });
});
