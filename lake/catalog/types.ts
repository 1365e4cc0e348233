// The lake catalog's vocabulary: layers, table references, data files, snapshots and commit requests.
import { TerminalError } from '../../core/errors.ts';
import type { DateRange } from './date-ranges.ts';

export const LAYERS = ['bronze', 'silver', 'gold'] as const;
export type Layer = (typeof LAYERS)[number];

/** A table's full name, e.g. `silver.weather_observations`. */
export interface TableRef {
  layer: Layer;
  name: string;
}

export const refOf = (qualified: string): TableRef => {
  const [layer, name] = qualified.split('.');
  if (!name || !LAYERS.includes(layer as Layer))
    throw new TerminalError(`"${qualified}" is not <layer>.<table> with layer one of ${LAYERS.join(', ')}`);
  return { layer: layer as Layer, name };
};
export const qualifiedName = (t: TableRef) => `${t.layer}.${t.name}`;

export interface DataFile {
  path: string;
  rowCount: number;
  bytes: number;
  partitionValues?: Record<string, string>;
  columnStats?: Record<string, { min: unknown; max: unknown; nulls?: number }>;
  streamFirstId?: string;
  streamLastId?: string;
  /** Set by compaction: the files this one merged. */
  compactedFrom?: number[];
  /** Bronze: the UTC dates its rows were observed on (its partition is the day it was ingested). */
  observedDates?: DateRange[];
}

export interface LiveFile extends DataFile {
  fileId: number;
  addedSnapshotId: number;
}

export interface Snapshot {
  snapshotId: number;
  table: TableRef;
  files: LiveFile[];
}

export interface CommitRequest {
  table: TableRef;
  /**
   * The snapshot the writer read. What conflicts depends on what the commit removes: a pure append never conflicts;
   * removing 'all' (replace) needs the table unchanged since this snapshot; removing listed files (compaction) needs
   * each of them still live. A conflict throws CommitConflictError and changes nothing.
   */
  baseSnapshotId: number | null;
  operation: 'append' | 'replace' | 'compact' | 'merge' | 'overwrite' | 'rekey';
  add: DataFile[];
  /** Files to remove in the same snapshot: 'all' (replace) or ids of live files. */
  remove?: 'all' | number[];
  runId?: string;
  summary?: Record<string, unknown>;
  /** The table's fence epoch when the writer read its input; the commit is refused (FencedError) if it moved since. */
  fenceEpoch?: number;
  /** Input files (of other tables) this commit has processed; recorded atomically with it for incremental runs. */
  consumed?: number[];
  /**
   * The commit folds `consumed` into the table once (an incremental run): it is refused (CommitConflictError) when one
   * of them was already consumed by this table, or is no longer live (compacted or replaced while the run read it).
   */
  consumeOnce?: boolean;
}
