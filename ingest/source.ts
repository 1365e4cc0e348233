// What a source is: a collector of raw records and a parser that finds each record's natural key and time.

/** One record as collected: its raw text, kept byte for byte in the envelope's payload. */
export interface RawRecord {
  text: string;
}

export type ParseResult = { ok: true; naturalKey: string; observedAt: string } | { ok: false; reason: string };

export interface CollectContext {
  runId: string;
  /** Settings of the run (e.g. the fixture API's address in the demo). */
  baseUrl?: string;
}

export interface SourceDefinition {
  name: string;
  description: string;
  /** Bumped when the payload's shape changes; stored with every event. */
  schemaVersion: number;
  /** When the scheduler runs the collector (cron syntax). */
  schedule: string;
  collect(context: CollectContext): AsyncIterable<RawRecord>;
  /** Finds the natural key and observation time; a failure sends the record to the dead-letter stream. */
  parse(raw: string): ParseResult;
}
