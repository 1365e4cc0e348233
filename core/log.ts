// Structured logs kept in PostgreSQL (`strata_catalog.logs`): every command's lines, with the run and the source or
// table they belong to, queryable by `GET /v1/logs`. Writing never blocks or fails the pipeline: lines wait in a
// bounded buffer and go in batches; while PostgreSQL cannot take them the buffer holds them, and past its size the
// oldest go to a local file, which is said once. Lines already in the file are not sent again (docs/operations.md).
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from './postgres.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogFields {
  runId?: string;
  /** The source or table the line is about. */
  target?: string;
  details?: Record<string, unknown>;
}

export interface LogLine extends LogFields {
  at: Date;
  level: LogLevel;
  command: string;
  message: string;
}

export interface LogSinkOptions {
  command: string;
  /** Where lines go that PostgreSQL could not take in time (NDJSON, appended). */
  fallbackFile: string;
  /** Lines held while PostgreSQL is away; past it the oldest go to the file. */
  maxBuffered?: number;
  /**
   * The file is rotated past this size (default 64 MiB) to `<file>.1`, `.2`, … up to `keepFiles` (default 4); the
   * oldest beyond them is deleted and its lines counted as lost (said once each time): disk use stays bounded.
   */
  maxFileBytes?: number;
  keepFiles?: number;
  flushMillis?: number;
  /** Lines a day older than this are deleted, at start and each hour (STRATA_LOG_RETENTION_DAYS). */
  retentionDays?: number;
  /** Where the sink says what happened to it (once per outage); default stderr. */
  notice?: (text: string) => void;
}

const BATCH = 500;

export class LogSink {
  private buffer: LogLine[] = [];
  private timer?: NodeJS.Timeout;
  private retention?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private down = false;
  private closed = false;
  readonly counts = { written: 0, toFile: 0, lost: 0 };
  /** The file's size as last known (read once, then kept). */
  private fileBytes?: number;

  constructor(
    private readonly pool: Pool,
    private readonly options: LogSinkOptions,
  ) {
    if (options.retentionDays) {
      const prune = () =>
        void this.pool
          .query('delete from strata_catalog.logs where at < now() - make_interval(days => $1)', [
            options.retentionDays,
          ])
          .catch(() => {});
      prune();
      this.retention = setInterval(prune, 3_600_000).unref();
    }
  }

  write(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (this.closed) return;
    this.buffer.push({ at: new Date(), level, command: this.options.command, message, ...fields });
    const max = this.options.maxBuffered ?? 10_000;
    if (this.buffer.length > max) this.toFile(this.buffer.splice(0, this.buffer.length - max));
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushMillis ?? 500).unref();
  }

  /** Sends what is buffered; lines PostgreSQL refuses stay buffered for the next try. */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    this.timer = undefined;
    while (this.buffer.length) {
      const batch = this.buffer.slice(0, BATCH);
      try {
        await this.pool.query(
          `insert into strata_catalog.logs (at, level, command, run_id, target, message, details)
           select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])`,
          [
            batch.map((l) => l.at),
            batch.map((l) => l.level),
            batch.map((l) => l.command),
            batch.map((l) => l.runId ?? null),
            batch.map((l) => l.target ?? null),
            batch.map((l) => l.message),
            batch.map((l) => JSON.stringify(l.details ?? {})),
          ],
        );
      } catch (error) {
        if (!this.down)
          this.say(
            `logs: PostgreSQL does not take log lines (${(error as Error).message}); up to ${this.options.maxBuffered ?? 10_000} wait here, older ones go to ${this.options.fallbackFile}`,
          );
        this.down = true;
        if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), 1000).unref();
        return;
      }
      // Lines that went to the file meanwhile have left the buffer already: only the sent ones still in it go.
      const sent = new Set(batch);
      this.buffer = this.buffer.filter((l) => !sent.has(l));
      this.counts.written += batch.length;
      if (this.down) {
        this.down = false;
        this.say(
          `logs: PostgreSQL takes log lines again${this.counts.toFile ? `; ${this.counts.toFile} lines in all went to ${this.options.fallbackFile}` : ''}`,
        );
      }
    }
  }

  /** Sends what it can within `waitMillis`, then writes the rest to the file. */
  async close(waitMillis = 5000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.retention);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, waitMillis);
      }),
    ]);
    clearTimeout(timeout);
    if (this.buffer.length) this.toFile(this.buffer.splice(0));
  }

  private toFile(lines: LogLine[]): void {
    const file = this.options.fallbackFile;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const text = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
      const bytes = Buffer.byteLength(text);
      this.fileBytes ??= existsSync(file) ? statSync(file).size : 0;
      if (this.fileBytes > 0 && this.fileBytes + bytes > (this.options.maxFileBytes ?? 64 * 1024 * 1024)) this.rotate();
      appendFileSync(file, text);
      this.fileBytes += bytes;
      this.counts.toFile += lines.length;
    } catch (error) {
      this.counts.lost += lines.length;
      this.say(
        `logs: ${lines.length} lines lost: neither PostgreSQL nor ${this.options.fallbackFile} took them (${(error as Error).message})`,
      );
    }
  }

  /** `<file>` becomes `<file>.1`, each `.n` becomes `.n+1`, and the one past `keepFiles` is deleted (its lines lost, said). */
  private rotate(): void {
    const file = this.options.fallbackFile;
    const keep = this.options.keepFiles ?? 4;
    const oldest = `${file}.${keep}`;
    if (existsSync(oldest)) {
      const lost = readFileSync(oldest).reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0);
      rmSync(oldest);
      this.counts.lost += lost;
      this.say(
        `logs: ${lost} lines lost: ${oldest} was deleted to keep the fallback files to ${keep + 1} of ${Math.ceil((this.options.maxFileBytes ?? 64 * 1024 * 1024) / 1024)} KiB (PostgreSQL has been away long)`,
      );
    }
    for (let i = keep - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    renameSync(file, `${file}.1`);
    this.fileBytes = 0;
  }

  private say(text: string): void {
    (this.options.notice ?? ((t: string) => process.stderr.write(`${t}\n`)))(text);
  }
}

/** The sinks of the runtimes open in this process; lines go to the newest. */
const sinks: LogSink[] = [];

/**
 * Makes `sink` the process's sink until the returned function is called. What a command prints is not copied here:
 * its output (query results, progress on stderr) is not a log; runs log their start, outcome and rejected rows
 * (lake/catalog/runs.ts), and code logs what an operator must find later with `logLine`.
 */
export function attachLogSink(sink: LogSink): () => void {
  sinks.push(sink);
  return () => {
    const at = sinks.indexOf(sink);
    if (at >= 0) sinks.splice(at, 1);
  };
}

/** Writes a line to the process's newest sink (a line logged with no runtime open is only printed, if at all). */
export function logLine(level: LogLevel, message: string, fields?: LogFields): void {
  sinks.at(-1)?.write(level, message, fields);
}

/** The command this process runs, as logs name it: `ingest-run` for `node bin/strata.mjs ingest-run …`. */
export function commandName(argv = process.argv): string {
  const script = argv[1] ?? '';
  const name = script.endsWith('strata.mjs') ? (argv[2] ?? 'strata') : path.basename(script);
  return name.replace(/\.(m?[jt]s)$/, '');
}
