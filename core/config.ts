// The one typed configuration: environment variables (and a .env file) parsed once by a zod schema.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { keyProblems } from './sensitive.ts';

import { PROJECT_ROOT } from './paths.ts';

export { PROJECT_ROOT };

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes'].includes(v));

const schema = z.object({
  /** Local-mode services keep their data here, with the lake, caches, logs and pid files. Git-ignored. */
  STRATA_DATA_DIR: z.string().min(1).default('.strata'),
  /** Where the lake lives: file://<folder> (default: <data dir>/lake) or s3://<bucket>[/<prefix>]. */
  STRATA_LAKE_URL: z
    .string()
    .regex(/^(file|s3):\/\/.+/, 'must start with file:// or s3://')
    .optional(),
  /** Local ports are offset from the usual ones so a system Redis or PostgreSQL is never taken over by mistake. */
  REDIS_URL: z.url().default('redis://127.0.0.1:6390/0'),
  /** Every Redis key Strata writes starts with this prefix (streams, dead letters, dedup keys). */
  STRATA_REDIS_PREFIX: z
    .string()
    .regex(/^[\w.-]+$/, 'use letters, digits, dots, dashes or underscores')
    .default('strata'),
  DATABASE_URL: z.url().default('postgres://strata:strata@127.0.0.1:5440/strata'),
  /**
   * The API's admin actions (jobs it starts, dead-letter replays) connect with this instead of DATABASE_URL, so the
   * API itself can run as a read-only role (docker-compose does). Unset: DATABASE_URL.
   */
  STRATA_ADMIN_DATABASE_URL: z.url().optional(),
  /** The S3 endpoint; local mode runs s3rver here. MinIO and s3rver need path-style addressing. */
  S3_ENDPOINT: z.url().default('http://127.0.0.1:9010'),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().default('S3RVER'),
  S3_SECRET_ACCESS_KEY: z.string().default('S3RVER'),
  S3_FORCE_PATH_STYLE: bool(true),
  STRATA_API_HOST: z.string().default('127.0.0.1'),
  STRATA_API_PORT: port(8787),
  /**
   * API keys, comma-separated, ≥ 24 characters each: `<key>` is an admin key (trigger a job, replay dead letters, and
   * every read), `<key>@<scope>+<scope>` has only those scopes (docs/api.md). None: admin actions are off.
   */
  STRATA_API_KEYS: z
    .string()
    .default('')
    .refine(
      (v) =>
        v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean)
          .every((k) => (k.includes('@') ? k.slice(0, k.lastIndexOf('@')) : k).length >= 24),
      'each key needs ≥ 24 characters (e.g. `openssl rand -hex 24`)',
    ),
  /**
   * Keys that encrypt and hash sources' sensitive fields, oldest first: `k1:<64 hex>,k2:<64 hex>` (docs/security.md).
   * New values use the last; every listed key still decrypts. Unset: a key is generated once in
   * <data dir>/secrets/encryption.keys (local use; set it in production, where the data folder is not backed up).
   */
  STRATA_ENCRYPTION_KEYS: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      if (v.trim() === '') return;
      for (const problem of keyProblems(v)) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** Reads without a key: `open` (the local default) serves every read route to anyone; `key` needs a key with the route's scope. */
  STRATA_API_READ: z.enum(['open', 'key']).default('open'),
  /** Requests a client (IP address) may make per minute, in bursts up to the same number; 0 turns rate limiting off. */
  STRATA_API_RATE_LIMIT: z.coerce.number().int().min(0).default(1200),
  /** Take the client's address from X-Forwarded-For (only behind a proxy you run: clients can set the header). */
  STRATA_API_TRUST_PROXY: bool(false),
  /** Origins allowed to call the API from a browser, comma-separated, or * for any. Empty: no CORS headers (same origin only). */
  STRATA_API_CORS_ORIGINS: z.string().default(''),
  /** Largest request body accepted (admin actions take small JSON bodies). */
  STRATA_API_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  /** PostgreSQL cancels an API query running longer than this (exports excepted: they stream for as long as they are read). */
  STRATA_API_STATEMENT_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(15),
  /** Streamed csv/ndjson exports at once, each on a connection of its own pool (the rest of the API keeps its pool). */
  STRATA_API_MAX_EXPORTS: z.coerce.number().int().positive().default(4),
  /** Exports one client may stream at once. */
  STRATA_API_EXPORTS_PER_CLIENT: z.coerce.number().int().positive().default(2),
  /** An export whose client reads nothing for this long is closed and its connection given back. */
  STRATA_API_EXPORT_STALL_SECONDS: z.coerce.number().int().positive().default(30),
  /** Live event streams (/v1/events) one client may hold at once (1,000 in all). */
  STRATA_API_EVENTS_PER_CLIENT: z.coerce.number().int().positive().default(10),
  /** Chromium for JavaScript-rendered pages (Debian's `chromium` package). */
  STRATA_CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  /** When `pnpm scheduler` runs the silver and gold jobs (cron syntax, UTC). */
  STRATA_JOBS_SCHEDULE: z
    .string()
    .refine(validateCron, 'is not a valid cron expression (e.g. "*/15 * * * *")')
    .default('*/15 * * * *'),
  /**
   * The URL engines reach the lake's root at, as Iceberg metadata names files (docs/iceberg.md): default the lake's own
   * (file:///… or s3://bucket/prefix). Set it when readers see the lake elsewhere (an HTTP server, s3a://).
   */
  STRATA_ICEBERG_BASE_URL: z.string().optional(),
  /** A table's Iceberg metadata is written at most this often (a streaming table commits every second). */
  STRATA_ICEBERG_INTERVAL_SECONDS: z.coerce.number().min(0).default(10),
  /** How long files replaced by a newer snapshot stay readable (time travel) before `pnpm lake:vacuum` deletes them. */
  STRATA_LAKE_RETENTION_HOURS: z.coerce.number().min(0).default(168),
  /** A stream's backlog (entries the bronze group has not acknowledged) at which collectors pause until it halves. */
  STRATA_STREAM_MAX_BACKLOG: z.coerce.number().int().positive().default(1_000_000),
  /** The longest a collector waits at the backlog limit for a live bronze writer to catch up before it fails, naming the fix. */
  STRATA_BACKPRESSURE_MAX_WAIT_SECONDS: z.coerce.number().positive().default(300),
  /** Where file sources are declared (`pnpm ingest:file` writes it; docs/sources.md), relative to the project. */
  STRATA_FILE_SOURCES: z.string().min(1).default('ingest/file-sources.json'),
  STRATA_MAX_EVENT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** How long the exact record of a seen event is kept (in day buckets); past it, silver removes a late duplicate by key. */
  STRATA_DEDUP_RETENTION_DAYS: z.coerce.number().int().positive().max(365).default(30),
  /** Days of log lines kept in strata_catalog.logs (GET /v1/logs); older ones are deleted by the next command. */
  STRATA_LOG_RETENTION_DAYS: z.coerce.number().int().positive().max(3650).default(30),
  /** Events each source's Bloom filter is sized for; past it the false-positive rate rises (more exact checks, never a wrong drop). */
  STRATA_DEDUP_CAPACITY: z.coerce.number().int().positive().default(10_000_000),
  /** Target false-positive rate of the Bloom filter at capacity: the share of new events that need an exact check. */
  STRATA_DEDUP_FP_RATE: z.coerce.number().gt(0).lt(1).default(0.001),
  /** A bronze batch is flushed at this many rows. */
  STRATA_BRONZE_MAX_BATCH_ROWS: z.coerce.number().int().positive().default(50_000),
  /** …or at this many bytes of envelopes. */
  STRATA_BRONZE_MAX_BATCH_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** …or this long after its first entry arrived, when following the streams. */
  STRATA_BRONZE_FLUSH_INTERVAL_MILLIS: z.coerce.number().int().positive().default(1000),
  /** DuckDB threads of the bronze writer's Parquet COPY; the writer's bottleneck is Node reading the stream. */
  STRATA_BRONZE_DUCKDB_THREADS: z.coerce.number().int().positive().default(1),
  /** DuckDB's memory limit in silver/gold jobs; past it DuckDB spills to .strata/tmp/duckdb instead of growing. */
  STRATA_JOB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 1.5GB or 800MB')
    .default('1.5GB'),
  /** `pnpm bronze` and `pnpm stream` merge a partition's small files once it holds this many… */
  STRATA_COMPACT_MIN_FILES: z.coerce.number().int().min(2).default(16),
  /** …where a file is small under this size (MiB)… */
  STRATA_COMPACT_TARGET_MB: z.coerce.number().positive().default(128),
  /** …checking their tables at most this often. */
  STRATA_COMPACT_INTERVAL_SECONDS: z.coerce.number().min(0).default(60),
  /** Entries another writer left unacknowledged this long are claimed (its process is taken for dead). */
  STRATA_BRONZE_CLAIM_IDLE_MILLIS: z.coerce.number().int().min(0).default(60_000),
});

export type Env = z.input<typeof schema>;

export interface Config {
  readonly dataDir: string;
  /** The file declaring the file sources (STRATA_FILE_SOURCES), absolute. */
  readonly fileSources: string;
  readonly lakeUrl: string;
  readonly redisUrl: string;
  readonly redisPrefix: string;
  readonly databaseUrl: string;
  /** What the API's admin actions connect with (STRATA_ADMIN_DATABASE_URL, else DATABASE_URL). */
  readonly adminDatabaseUrl: string;
  readonly s3: {
    readonly endpoint: string;
    readonly region: string;
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly forcePathStyle: boolean;
  };
  readonly api: {
    readonly host: string;
    readonly port: number;
    readonly keys: readonly string[];
    /** Whether reads need a key (STRATA_API_READ). */
    readonly read: 'open' | 'key';
    readonly rateLimitPerMinute: number;
    readonly trustProxy: boolean;
    readonly corsOrigins: readonly string[];
    readonly maxBodyBytes: number;
    readonly statementTimeoutSeconds: number;
    readonly maxExports: number;
    readonly exportsPerClient: number;
    readonly exportStallSeconds: number;
    readonly eventsPerClient: number;
  };
  readonly chromiumPath: string;
  readonly jobsSchedule: string;
  readonly dedupRetentionDays: number;
  /** STRATA_ICEBERG_BASE_URL (undefined: the lake's URL) and STRATA_ICEBERG_INTERVAL_SECONDS. */
  readonly iceberg: { readonly baseUrl?: string; readonly intervalMillis: number };
  /** STRATA_ENCRYPTION_KEYS, when set (core/keys.ts falls back to the data folder's key file). */
  readonly encryptionKeys?: string;
  /** STRATA_LOG_RETENTION_DAYS. */
  readonly logRetentionDays: number;
  readonly dedup: { readonly capacity: number; readonly falsePositiveRate: number };
  readonly streamMaxBacklog: number;
  readonly backpressureMaxWaitMillis: number;
  /** A record larger than this (UTF-8 bytes) is dead-lettered instead of entering the stream. */
  readonly maxEventBytes: number;
  readonly lakeRetentionHours: number;
  readonly jobMemoryLimit: string;
  /** Background compaction by long-running writers. */
  readonly compact: { readonly minFiles: number; readonly targetBytes: number; readonly intervalMillis: number };
  readonly bronze: {
    readonly maxBatchRows: number;
    readonly maxBatchBytes: number;
    readonly flushIntervalMillis: number;
    readonly claimIdleMillis: number;
    readonly duckdbThreads: number;
  };
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The process's environment over `<root>/.env`: what every command's configuration and settings are read from. */
export const processEnvironment = (): Record<string, string | undefined> => ({ ...readDotenv(), ...process.env });

/** Reads `<root>/.env` (without overriding real environment variables). */
export function readDotenv(root = PROJECT_ROOT): Record<string, string> {
  const file = path.join(root, '.env');
  return existsSync(file) ? parseDotenv(readFileSync(file)) : {};
}

const environments = new WeakMap<Config, Record<string, string | undefined>>();

/**
 * The environment a configuration was parsed from: sources read their own settings from it (ingest/source-settings.ts),
 * so a configuration built for a test or a child process carries its sources' settings too.
 */
export const envOf = (cfg: Config): Record<string, string | undefined> => environments.get(cfg) ?? processEnvironment();

/** Parses an environment into a frozen Config; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = processEnvironment()): Config {
  const known = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(known);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      return `- ${name}=${shownValue(name, env[name] ?? '')}: ${issue.message}. Fix it in the environment or in .env (see docs/configuration.md).`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(PROJECT_ROOT, e.STRATA_DATA_DIR);
  const frozen = deepFreeze({
    dataDir,
    fileSources: path.resolve(PROJECT_ROOT, e.STRATA_FILE_SOURCES),
    lakeUrl: normaliseLakeUrl(e.STRATA_LAKE_URL ?? `file://${path.join(dataDir, 'lake')}`),
    redisUrl: e.REDIS_URL,
    redisPrefix: e.STRATA_REDIS_PREFIX,
    databaseUrl: e.DATABASE_URL,
    adminDatabaseUrl: e.STRATA_ADMIN_DATABASE_URL ?? e.DATABASE_URL,
    s3: {
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
    },
    api: {
      host: e.STRATA_API_HOST,
      port: e.STRATA_API_PORT,
      keys: list(e.STRATA_API_KEYS),
      read: e.STRATA_API_READ,
      rateLimitPerMinute: e.STRATA_API_RATE_LIMIT,
      trustProxy: e.STRATA_API_TRUST_PROXY,
      corsOrigins: list(e.STRATA_API_CORS_ORIGINS),
      maxBodyBytes: e.STRATA_API_MAX_BODY_BYTES,
      statementTimeoutSeconds: e.STRATA_API_STATEMENT_TIMEOUT_SECONDS,
      maxExports: e.STRATA_API_MAX_EXPORTS,
      exportsPerClient: e.STRATA_API_EXPORTS_PER_CLIENT,
      exportStallSeconds: e.STRATA_API_EXPORT_STALL_SECONDS,
      eventsPerClient: e.STRATA_API_EVENTS_PER_CLIENT,
    },
    encryptionKeys: e.STRATA_ENCRYPTION_KEYS.trim() || undefined,
    iceberg: {
      baseUrl: (e.STRATA_ICEBERG_BASE_URL ?? '').replace(/\/+$/, '') || undefined,
      intervalMillis: e.STRATA_ICEBERG_INTERVAL_SECONDS * 1000,
    },
    chromiumPath: e.STRATA_CHROMIUM_PATH,
    jobsSchedule: e.STRATA_JOBS_SCHEDULE,
    dedupRetentionDays: e.STRATA_DEDUP_RETENTION_DAYS,
    logRetentionDays: e.STRATA_LOG_RETENTION_DAYS,
    dedup: { capacity: e.STRATA_DEDUP_CAPACITY, falsePositiveRate: e.STRATA_DEDUP_FP_RATE },
    streamMaxBacklog: e.STRATA_STREAM_MAX_BACKLOG,
    backpressureMaxWaitMillis: e.STRATA_BACKPRESSURE_MAX_WAIT_SECONDS * 1000,
    maxEventBytes: e.STRATA_MAX_EVENT_BYTES,
    lakeRetentionHours: e.STRATA_LAKE_RETENTION_HOURS,
    jobMemoryLimit: e.STRATA_JOB_MEMORY_LIMIT,
    compact: {
      minFiles: e.STRATA_COMPACT_MIN_FILES,
      targetBytes: e.STRATA_COMPACT_TARGET_MB * 1024 * 1024,
      intervalMillis: e.STRATA_COMPACT_INTERVAL_SECONDS * 1000,
    },
    bronze: {
      maxBatchRows: e.STRATA_BRONZE_MAX_BATCH_ROWS,
      maxBatchBytes: e.STRATA_BRONZE_MAX_BATCH_BYTES,
      flushIntervalMillis: e.STRATA_BRONZE_FLUSH_INTERVAL_MILLIS,
      claimIdleMillis: e.STRATA_BRONZE_CLAIM_IDLE_MILLIS,
      duckdbThreads: e.STRATA_BRONZE_DUCKDB_THREADS,
    },
  });
  environments.set(frozen, env);
  return frozen;
}

/** Settings that hold a secret whole: never printed, only described. */
const SECRET_SETTINGS = new Set([
  'STRATA_API_KEYS',
  'STRATA_ENCRYPTION_KEYS',
  'S3_SECRET_ACCESS_KEY',
  'S3_ACCESS_KEY_ID',
]);

/**
 * A setting's value as an error may print it: a secret as its length, a URL with its password masked (wherever the
 * URL is malformed, everything between `//` and the last `@`).
 */
export function shownValue(name: string, value: string): string {
  if (SECRET_SETTINGS.has(name)) return value ? `<hidden, ${value.length} characters>` : '""';
  return JSON.stringify(redactUrl(value));
}

/** `scheme://user:password@host` → `scheme://user:***@host`; text without credentials comes back unchanged. */
export function redactUrl(text: string): string {
  return text.replace(/(\w[\w+.-]*:\/\/)([^\s/@]*)@/g, (_, scheme: string, credentials: string) => {
    const colon = credentials.indexOf(':');
    return `${scheme}${colon < 0 ? credentials : `${credentials.slice(0, colon)}:***`}@`;
  });
}

const trimSlashes = (url: string) => url.replace(/\/+$/, '');

/** file:// URLs with a relative folder are resolved against the project root. */
function normaliseLakeUrl(url: string): string {
  if (!url.startsWith('file://')) return trimSlashes(url);
  return `file://${path.resolve(PROJECT_ROOT, url.slice('file://'.length))}`;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (child && typeof child === 'object') deepFreeze(child);
  return Object.freeze(value);
}

let cached: Config | undefined;

/** The process-wide configuration, parsed on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** The variables that point a child process at the same services, lake and data folder as `cfg` (jobs, streams, tests). */
export const envFor = (cfg: Config): Record<string, string> => ({
  DATABASE_URL: cfg.databaseUrl,
  REDIS_URL: cfg.redisUrl,
  STRATA_REDIS_PREFIX: cfg.redisPrefix,
  STRATA_LAKE_URL: cfg.lakeUrl,
  STRATA_DATA_DIR: cfg.dataDir,
  STRATA_FILE_SOURCES: cfg.fileSources,
  ...(cfg.encryptionKeys ? { STRATA_ENCRYPTION_KEYS: cfg.encryptionKeys } : {}),
});
