// A thin DuckDB session over @duckdb/node-api: queries return plain JS rows; the session closes what it opened.
// The engine loads with the first session, so that commands which never query start without it.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

/** Quotes a string as a SQL literal ('it''s'). */
export const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;
/** Quotes an identifier ("my ""col"""). */
export const sqlIdent = (value: string) => `"${value.replaceAll('"', '""')}"`;

export interface DuckSessionOptions {
  /** Caps DuckDB's memory (e.g. '2GB'); DuckDB spills to its temp folder past it. */
  memoryLimit?: string;
  threads?: number;
  tempDirectory?: string;
  /** Let DuckDB reorder rows (less memory, more parallel writes); jobs do not rely on row order. */
  preserveInsertionOrder?: boolean;
  /** A database file instead of memory (what `pnpm lake:catalog` writes for the DuckDB CLI). */
  path?: string;
}

export class DuckSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** An in-memory database (or the `path` file); nothing else is persisted unless a query writes files. */
  static async open(options: DuckSessionOptions = {}): Promise<DuckSession> {
    const settings: Record<string, string> = {};
    if (options.memoryLimit) settings.memory_limit = options.memoryLimit;
    if (options.threads) settings.threads = String(options.threads);
    if (options.tempDirectory) settings.temp_directory = options.tempDirectory;
    if (options.preserveInsertionOrder === false) settings.preserve_insertion_order = 'false';
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(options.path ?? ':memory:', settings);
    const connection = await instance.connect();
    // Timestamps are UTC everywhere in Strata.
    await connection.run("set TimeZone = 'UTC'");
    return new DuckSession(instance, connection);
  }

  /** Runs a statement; with `onProgress`, reports DuckDB's own estimate (0–100 %) every `everyMillis` while it runs. */
  async run(sql: string, progress?: { onProgress: (percent: number) => void; everyMillis?: number }): Promise<void> {
    if (!progress) {
      await this.connection.run(sql);
      return;
    }
    await this.connection.run('set enable_progress_bar = true; set enable_progress_bar_print = false');
    let last = -1;
    const timer = setInterval(() => {
      const percent = Math.floor(this.connection.progress.percentage);
      if (percent < 0 || percent === last) return;
      last = percent;
      progress.onProgress(percent);
    }, progress.everyMillis ?? 5000);
    try {
      await this.connection.run(sql);
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Streams a query's first column, a chunk of values (about 2,048) at a time: one pass, bounded memory. The next
   * chunk is fetched while the caller works on this one (DuckDB computes it on its own thread), one chunk ahead.
   */
  async *streamColumn(sql: string): AsyncGenerator<unknown[]> {
    const result = await this.connection.stream(sql);
    let next = result.fetchChunk();
    try {
      for (let chunk = await next; chunk && chunk.rowCount > 0; chunk = await next) {
        next = result.fetchChunk();
        yield chunk.getColumnValues(0);
      }
    } finally {
      // A caller that stops early leaves one fetch running: it settles before the connection is used again.
      await next.catch(() => undefined);
    }
  }

  /** Runs a query and returns its rows as JS objects (BIGINT as bigint, timestamps as Date). */
  async all(sql: string): Promise<Row[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Row[];
  }

  /** Rows with JSON-safe values (BIGINT → number when safe, dates → ISO strings): what an API or PostgreSQL wants. */
  async allJson(sql: string): Promise<{ columns: { name: string; type: string }[]; rows: Row[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    const columns = reader.columnNames().map((name, i) => ({ name, type: String(reader.columnTypes()[i]) }));
    return { columns, rows: reader.getRowObjectsJson() as Row[] };
  }

  /** The first column of the first row. */
  async scalar<T = unknown>(sql: string): Promise<T> {
    const rows = await this.all(sql);
    const first = rows[0];
    return (first ? Object.values(first)[0] : undefined) as T;
  }

  /**
   * Defines a SQL function of one text argument computed in JavaScript (NULL in, NULL out). A throw stops the query
   * with its message.
   */
  async defineTextFunction(name: string, fn: (value: string) => string): Promise<void> {
    const { DuckDBScalarFunction, VARCHAR } = await import('@duckdb/node-api');
    this.connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name,
        returnType: VARCHAR,
        parameterTypes: [VARCHAR],
        mainFunction: (info, input, output) => {
          const values = input.getColumnVector(0);
          try {
            for (let row = 0; row < input.rowCount; row++) {
              const value = values.getItem(row);
              output.setItem(row, value === null ? null : fn(String(value)));
            }
            output.flush();
          } catch (error) {
            info.setError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          }
        },
      }),
    );
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Opens a session, runs `fn`, and always closes it. */
export async function withDuck<T>(fn: (duck: DuckSession) => Promise<T>, options?: DuckSessionOptions): Promise<T> {
  const duck = await DuckSession.open(options);
  try {
    return await fn(duck);
  } finally {
    duck.close();
  }
}
