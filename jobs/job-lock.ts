// One job run at a time: a PostgreSQL session advisory lock held for the run. A process that dies releases it with
// its connection, so a crash never leaves the jobs locked.
import pg from 'pg';
import { TerminalError } from '../core/errors.ts';
import type { Runtime } from '../lake/runtime.ts';

/** The advisory lock's key: any constant no other application on the database uses ("STRA" in ASCII). */
const LOCK_KEY = 0x53545241;

export class JobLockedError extends TerminalError {}

export interface JobLockOptions {
  /** Shown to a run that finds the lock taken (e.g. "job:silver"). */
  label: string;
  /** Wait for the other run instead of giving up at once. */
  wait?: boolean;
}

/** Runs `fn` holding the jobs lock; without `wait`, a run that finds it taken fails naming the holder. */
export async function withJobLock<T>(rt: Runtime, options: JobLockOptions, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: rt.config.databaseUrl,
    application_name: `strata ${options.label} pid ${process.pid} since ${new Date().toISOString()}`,
  });
  await client.connect();
  client.on('error', () => {});
  try {
    if (options.wait) {
      await client.query(`select pg_advisory_lock(${LOCK_KEY})`);
    } else {
      const { rows } = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${LOCK_KEY}) as ok`);
      if (!rows[0]!.ok) {
        const holder = await jobLockHolder(client);
        throw new JobLockedError(
          `Another job run is in progress (${holder ?? 'holder unknown'}); jobs run one at a time so the catalog stays consistent. ` +
            'Wait for it to finish, or pass --wait to queue behind it.',
        );
      }
    }
    return await fn();
  } finally {
    await client.end().catch(() => {});
  }
}

/** Who holds the jobs lock (the holder's application name: command, pid, start), or undefined when no run holds it. */
export async function jobLockHolder(db: Pick<pg.Pool, 'query'> | pg.Client): Promise<string | undefined> {
  return (await lockHolder(db, LOCK_KEY)) ?? undefined;
}

async function lockHolder(db: Pick<pg.Pool, 'query'> | pg.Client, key: number): Promise<string | undefined> {
  const { rows } = await db.query<{ application_name: string }>(
    // Advisory locks are per database: a holder in another database of the same server (another Strata, a test's
    // own database) is not this one's.
    `select a.application_name from pg_locks l join pg_stat_activity a using (pid)
      where l.locktype = 'advisory' and l.granted and l.objid = ${key} and l.pid <> pg_backend_pid()
        and l.database = (select oid from pg_database where datname = current_database()) limit 1`,
  );
  return rows[0] ? rows[0].application_name || 'a process' : undefined;
}

/** Held by a running `pnpm stream` for its lifetime ("STRM"): it owns the streaming tables while it runs. */
const STREAM_LOCK_KEY = 0x5354524d;

/** Who runs the stream (application name), or undefined when no stream runs. */
export const streamHolder = (db: Pick<pg.Pool, 'query'> | pg.Client) => lockHolder(db, STREAM_LOCK_KEY);

export interface StreamLock {
  /** Whether the lock is still held (false once its connection to PostgreSQL was lost). */
  held(): boolean;
  release(): Promise<void>;
}

/** Takes the stream lock or fails naming the stream that holds it; a process that dies releases it with its connection. */
export async function acquireStreamLock(rt: Runtime, label: string): Promise<StreamLock> {
  const client = new pg.Client({
    connectionString: rt.config.databaseUrl,
    application_name: `strata ${label} pid ${process.pid} since ${new Date().toISOString()}`,
  });
  await client.connect();
  let held = true;
  client.on('error', () => (held = false));
  client.on('end', () => (held = false));
  const { rows } = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${STREAM_LOCK_KEY}) as ok`);
  if (!rows[0]!.ok) {
    const holder = await lockHolder(client, STREAM_LOCK_KEY);
    await client.end().catch(() => {});
    throw new JobLockedError(
      `A stream is already running (${holder ?? 'holder unknown'}); one stream owns the streaming tables. Stop it first.`,
    );
  }
  return { held: () => held, release: () => client.end().catch(() => {}) };
}
