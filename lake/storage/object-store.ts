// One interface over the lake's two backends (file:// and s3://); every stage reads and writes the lake through it.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface ObjectInfo {
  key: string;
  bytes: number;
  /** A version tag: the S3 ETag, or size+mtime for local files. Cached copies are keyed by it. */
  etag: string;
  /** Last modification time (the S3 LastModified, or the file's mtime). */
  modifiedAt: Date;
}

export interface ObjectStore {
  /** The lake root, e.g. file:///srv/lake or s3://bucket/prefix. */
  readonly url: string;
  /** Stores a local file at `key`; readers never see a partial object. The file store may hard-link it, so callers must not modify `localPath` afterwards (deleting it is fine). */
  putFile(key: string, localPath: string): Promise<ObjectInfo>;
  putBytes(key: string, bytes: Uint8Array | string): Promise<ObjectInfo>;
  getBytes(key: string): Promise<Buffer>;
  /** Info of one object, or undefined when absent. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object under a prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
  /** A local path DuckDB can read: the file itself for file://, a cached copy (by key and ETag) for s3://. */
  localPath(key: string): Promise<string>;
  /** Full URL of a key, for logs and docs. */
  urlOf(key: string): string;
  /**
   * Local leftovers older than `before`: temporary files of writes that never finished, and (s3://) cached copies of
   * objects the catalog no longer knows. Removed unless `dryRun`; returned as local paths.
   */
  sweep(options: SweepOptions): Promise<SweepResult>;
}

export interface SweepOptions {
  before: Date;
  /** Keys the catalog knows: their cached copies stay. */
  known: Set<string>;
  dryRun: boolean;
}

export interface SweepResult {
  temporary: string[];
  staleCache: string[];
}

/** Files under a folder (absolute paths) last modified before `before`; none when the folder does not exist. */
export async function filesOlderThan(dir: string, before: Date): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const old: string[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    const s = await stat(full).catch(() => undefined);
    if (s && s.mtime < before) old.push(full);
  }
  return old.sort();
}
