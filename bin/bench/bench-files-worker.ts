// One measured run of `pnpm bench:files`, in a process of its own so that its peak memory is its own: a file put in a
// file source's inbox, collected into the stream with dedup by the ingest runner. Prints one JSON line.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { config } from '../../core/config.ts';
import type { FileFormat } from '../../ingest/collectors/files/files-collector.ts';
import { fileInbox, fileSource } from '../../ingest/file-source.ts';
import { placeInInbox } from '../../ingest/ingest-file.ts';
import { runIngest } from '../../ingest/ingest-runner.ts';
import { withRuntime } from '../../lake/runtime.ts';

const [format, file, name] = process.argv.slice(2) as [FileFormat, string, string];
const cfg = config();
await withRuntime(cfg, async (rt) => {
  const source = fileSource(name, { format, key: [], columns: { row: 'VARCHAR' } });
  await placeInInbox(path.resolve(file), fileInbox(cfg, name));
  const started = performance.now();
  const result = await runIngest(rt, source, { recordRun: false });
  const seconds = (performance.now() - started) / 1000;
  // The inbox held a copy of the file (now in processed/): gone with the run.
  await rm(fileInbox(cfg, name), { recursive: true, force: true });
  if (result.status !== 'succeeded') throw new Error(result.error);
  console.log(
    JSON.stringify({
      seconds,
      rowsIn: result.rowsIn,
      published: result.rowsOut,
      peakMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
});
