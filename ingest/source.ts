// What a source is: a collector of raw records and a parser that finds each record's natural key and time.
import type { Config } from '../core/config.ts';
import type { SensitiveFields } from '../core/sensitive.ts';
import type { DeclaredSettings, SettingsShape } from './source-settings.ts';

/** One record as collected: its raw text, kept byte for byte in the envelope's payload. */
export interface RawRecord {
  text: string;
  /**
   * Set by a collector that already knows the record is bad (a line that is not UTF-8, a page whose layout changed):
   * the record goes to the dead-letter stream with this reason, its text kept, and is never parsed.
   */
  rejected?: string;
  /**
   * Where the record sits in what it came from, for sources whose identity is by position (`identity: 'position'`):
   * the files collector sets `<first 16 hex of the file's SHA-256>:<row>`, so a file dropped again, even renamed, gives
   * the same positions, and two identical rows of one file give two.
   */
  position?: string;
}

/**
 * Yielded between records: work to do once everything yielded before it is in the stream (e.g. move a consumed file
 * to processed/). The runner publishes its pending batch first, so a crash can repeat records, never lose them.
 */
export interface Checkpoint {
  /** Told what became of the records yielded since the previous checkpoint (e.g. for a file's report). */
  checkpoint: (counts: CheckpointCounts) => Promise<void>;
}

/** The records yielded between two checkpoints, as the runner published them. */
export interface CheckpointCounts {
  read: number;
  /** New events in the stream. */
  published: number;
  /** Events already in the stream (the same event seen before). */
  duplicates: number;
  /** Records in the dead-letter stream (rejected, too large or not parsed), counting ones dead-lettered before. */
  deadLettered: number;
}

/** What a collector yields: a record, a group of records (cheaper per record when they come in chunks), or a checkpoint. */
export type Collected = RawRecord | readonly RawRecord[] | Checkpoint;
export const isCheckpoint = (item: Collected): item is Checkpoint => !Array.isArray(item) && 'checkpoint' in item;
/** The records of what a collector yielded that is not a checkpoint: one, or a group. */
export const recordsOf = (item: RawRecord | readonly RawRecord[]): readonly RawRecord[] =>
  Array.isArray(item) ? item : [item as RawRecord];

export type ParseResult = { ok: true; naturalKey: string; observedAt: string } | { ok: false; reason: string };

/** A source's small persistent state (e.g. an incremental cursor), kept in Redis between runs. */
export interface SourceState {
  get(key: string): Promise<string | undefined>;
  /** Offers a new value; the runner saves it only after every record of the run is published. */
  propose(key: string, value: string): void;
}

export interface CollectContext {
  runId: string;
  /** The run's configuration (sources read their settings from it). */
  config?: Config;
  /** The base URL to collect from instead of the source's URL setting (`ingest:run --base-url`, the demo's fixture). */
  baseUrl?: string;
  /** The environment a source reads its settings from (default: .env, then the process's environment). */
  env?: Record<string, string | undefined>;
  state?: SourceState;
}

export interface SourceDefinition {
  name: string;
  description: string;
  /** Bumped when the payload's shape changes; stored with every event. */
  schemaVersion: number;
  /** When the scheduler runs the collector (cron syntax). */
  schedule: string;
  /** How often `pnpm stream` runs the collector, in milliseconds (sources without it are left to the scheduler). */
  streamEveryMillis?: number;
  collect(context: CollectContext): AsyncIterable<Collected>;
  /** The source's own settings, read from STRATA_SOURCE_<NAME>_<SETTING> (ingest/source-settings.ts). */
  settings?: DeclaredSettings<SettingsShape>;
  /** The folder files arrive in, for sources that read an inbox: `ingest:run --watch` collects as they land. */
  inbox?(config: Config, env?: Record<string, string | undefined>): string;
  /**
   * What tells two events apart (docs/sources.md, "Identity"): 'content' (default) hashes the natural key and the
   * payload, so the same record collected twice is one event; 'position' takes the record's position as its natural
   * key, so identical records at two positions are two events (file sources with no key columns).
   */
  identity?: 'content' | 'position';
  /**
   * Fields protected at the collector, before anything is kept (docs/security.md): by name or dotted path
   * (`contact.email`), `encrypt` (AES-256-GCM, readable with a key), `hash` (keyed HMAC: joins and grouping still work)
   * or `drop` (removed, and counted in the run's log).
   */
  sensitive?: SensitiveFields;
  /** Finds the natural key and observation time; a failure sends the record to the dead-letter stream. */
  parse(raw: string): ParseResult;
}
