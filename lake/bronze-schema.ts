// The columns and layout of every bronze table: the event envelope (contract 1) plus the stream entry id it came from.
// Shared by the bronze writer (which writes them) and the job runner (which reads them, even before any file exists).

export const BRONZE_COLUMNS = {
  source: 'VARCHAR',
  event_id: 'VARCHAR',
  natural_key: 'VARCHAR',
  observed_at: 'TIMESTAMPTZ',
  ingested_at: 'TIMESTAMPTZ',
  schema_version: 'INTEGER',
  run_id: 'VARCHAR',
  payload: 'VARCHAR',
  _stream_id: 'VARCHAR',
} as const;

/** A source's dead letters in the lake: what failed, why, when, and whether a replay has since taken it back. */
export const DEAD_LETTER_COLUMNS = {
  source: 'VARCHAR',
  event_id: 'VARCHAR',
  reason: 'VARCHAR',
  raw: 'VARCHAR',
  run_id: 'VARCHAR',
  failed_at: 'TIMESTAMPTZ',
  replayed_at: 'TIMESTAMPTZ',
  replay_run_id: 'VARCHAR',
  _stream_id: 'VARCHAR',
} as const;

/** The bronze table a source's dead letters are committed to: `bronze.<source>__dead_letters`. */
export const deadLetterTable = (source: string) => `${source}__dead_letters`;

/** The lake tables a source's bronze writer adds files to: its events and its dead letters. */
export const bronzeTablesOf = (sources: string[]) =>
  sources.flatMap((s) => [
    { layer: 'bronze', name: s } as const,
    { layer: 'bronze', name: deadLetterTable(s) } as const,
  ]);

/**
 * Bronze files are partitioned by the UTC day their stream received the entries (the time in the stream ids), one
 * file per batch whatever the spread of observation dates: ten years of history in one batch is one file, not 3,652.
 * Each file's observation dates are in the catalog, which is how jobs rebuild only the days new rows touch
 * (docs/decisions/0020-bronze-by-ingest-date.md). Lakes written before hold `dt=<observation date>` folders; both read.
 */
export const INGEST_PARTITION = 'ingest_date';

/** A bronze file's folder: bronze/<table>/ingest_date=YYYY-MM-DD/. */
export const bronzePartitionPrefix = (table: string, ingestDate: string) =>
  `bronze/${table}/${INGEST_PARTITION}=${ingestDate}/`;

const DAY_MILLIS = 86_400_000;

/** The UTC day number of a stream id (`<milliseconds>-<sequence>`): batches never span two. */
export const ingestDayOf = (streamId: string): number =>
  Math.floor(Number(streamId.slice(0, streamId.indexOf('-'))) / DAY_MILLIS);

/** The UTC date (YYYY-MM-DD) a stream id was received on. */
export const ingestDateOf = (streamId: string): string =>
  new Date(ingestDayOf(streamId) * DAY_MILLIS).toISOString().slice(0, 10);
