// The follower that keeps each table's Iceberg metadata in step with the catalog (decision 0039): told of every commit
// of its process, it syncs the table after it, at most every `intervalMillis` per table (a streaming table commits
// every second), and finishes what is pending when the process closes. A crash between a commit and the sync leaves
// the metadata one snapshot behind, naming committed files only; `catchUp` (every job and `pnpm lake:iceberg`)
// brings every table level again.
import { describeError } from '../../core/errors.ts';
import { logLine } from '../../core/log.ts';
import type { TableRef } from '../catalog/catalog.ts';
import type { Runtime } from '../runtime.ts';
import { type SyncResult, syncIceberg } from './iceberg-writer.ts';

export interface FollowerOptions {
  /** The URL engines reach the lake's root at (STRATA_ICEBERG_BASE_URL; default: the lake's own URL). */
  baseUrl: string;
  /** A table's metadata is written at most this often (its latest commit is never left behind: a timer follows). */
  intervalMillis: number;
}

const keyOf = (t: TableRef) => `${t.layer}.${t.name}`;

export class IcebergFollower {
  private readonly last = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly again = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly rt: Runtime,
    private readonly options: FollowerOptions,
  ) {}

  /** A table committed: sync it now, or when its interval has passed. */
  committed(table: TableRef): void {
    if (this.closed) return;
    const key = keyOf(table);
    if (this.timers.has(key)) return;
    const wait = (this.last.get(key) ?? 0) + this.options.intervalMillis - Date.now();
    if (wait <= 0) return void this.run(table);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.run(table);
      }, wait).unref(),
    );
  }

  /** Syncs one table (one sync at a time per table in this process; others wait on a PostgreSQL advisory lock). */
  sync(table: TableRef): Promise<SyncResult> {
    return withTableLock(this.rt, table, () => syncIceberg(this.rt, table, this.options.baseUrl));
  }

  /** Every table of the catalog brought level with its current snapshot (and vacuumed snapshots dropped). */
  async catchUp(): Promise<SyncResult[]> {
    const results: SyncResult[] = [];
    for (const table of await this.rt.catalog.listTables()) {
      if (table.snapshotId === null) continue;
      results.push(await this.sync(table));
    }
    return results;
  }

  /** Runs what is pending now and waits for it (the process is closing). */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.timers.keys()];
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled(this.running.values());
    for (const key of pending) {
      const [layer, name] = key.split('.') as [TableRef['layer'], string];
      await this.run({ layer, name });
    }
  }

  private async run(table: TableRef): Promise<void> {
    const key = keyOf(table);
    if (this.running.has(key)) {
      this.again.add(key);
      return;
    }
    // One sync at a time in a process: each holds a pooled connection (its lock) while it writes to storage, and a job
    // committing twenty tables must not hand the pool to their followers.
    this.queue = this.queue.catch(() => undefined).then(() => this.sync(table));
    const job = this.queue
      .catch((error: unknown) => {
        // Metadata that lags is caught up later; it never fails the commit that triggered it.
        logLine('warn', `iceberg: ${key}: metadata not written (${describeError(error)}); the next sync catches up`, {
          target: key,
        });
      })
      .finally(() => {
        this.running.delete(key);
        this.last.set(key, Date.now());
        if (this.again.delete(key) && !this.closed) this.committed(table);
      });
    this.running.set(key, job);
    await job;
  }
}

/** Runs `fn` holding the table's Iceberg lock (a session advisory lock: two processes never write one table's metadata at once). */
async function withTableLock<T>(rt: Runtime, table: TableRef, fn: () => Promise<T>): Promise<T> {
  const client = await rt.pool.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [`strata:iceberg:${keyOf(table)}`]);
    try {
      return await fn();
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [`strata:iceberg:${keyOf(table)}`]);
    }
  } finally {
    client.release();
  }
}
