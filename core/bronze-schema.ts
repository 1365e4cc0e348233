// The columns of every bronze table: the event envelope (contract 1) plus the stream entry id it came from.
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

/** A bronze file's folder: bronze/<source>/dt=YYYY-MM-DD/ (the UTC date the events were observed). */
export const bronzePartitionPrefix = (source: string, dt: string) => `bronze/${source}/dt=${dt}/`;
