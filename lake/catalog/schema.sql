-- The lake catalog (DESIGN.md contract 4): tables, snapshots, the data files of each snapshot, and runs.
-- A file is live in snapshot S when added_snapshot_id <= S and (removed_snapshot_id is null or removed_snapshot_id > S).
create schema if not exists strata_catalog;

-- The schema's version: Catalog.migrate() runs this file only when the stored version is behind, so processes that
-- open the catalog while others commit never take DDL locks.
create table if not exists strata_catalog.meta (key text primary key, value text not null);

create table if not exists strata_catalog.tables (
  table_id            bigserial primary key,
  layer               text not null check (layer in ('bronze', 'silver', 'gold')),
  name                text not null,
  current_snapshot_id bigint,
  created_at          timestamptz not null default now(),
  unique (layer, name)
);

create table if not exists strata_catalog.snapshots (
  snapshot_id        bigserial primary key,
  table_id           bigint not null references strata_catalog.tables,
  parent_snapshot_id bigint references strata_catalog.snapshots,
  operation          text not null,
  run_id             text,
  committed_at       timestamptz not null default clock_timestamp(),
  summary            jsonb not null default '{}'
);

create table if not exists strata_catalog.files (
  file_id             bigserial primary key,
  table_id            bigint not null references strata_catalog.tables,
  path                text not null unique,
  row_count           bigint not null,
  bytes               bigint not null,
  partition_values    jsonb not null default '{}',
  column_stats        jsonb not null default '{}',
  -- Bronze files record the Redis stream id range they hold, so a restarted writer skips what is committed.
  stream_first_id     text,
  stream_last_id      text,
  added_snapshot_id   bigint not null references strata_catalog.snapshots,
  removed_snapshot_id bigint references strata_catalog.snapshots
);
create index if not exists files_live on strata_catalog.files (table_id) where removed_snapshot_id is null;
-- Bumped by a bronze writer that takes over another writer's entries; a commit made with an older epoch is refused,
-- so a writer presumed dead cannot commit a batch someone else is now writing (fencing).
alter table strata_catalog.tables add column if not exists fence_epoch bigint not null default 0;
-- Set by `pnpm lake:vacuum` when a removed file's object is deleted: snapshots that listed it are past retention.
alter table strata_catalog.files add column if not exists deleted_at timestamptz;

-- A compaction output lists the files it merged, so consumers that had read all of them need not read it again.
alter table strata_catalog.files add column if not exists compacted_from bigint[];
-- Bronze files are partitioned by the day they were ingested; the UTC dates their rows were observed on, as sorted
-- inclusive ranges, are what jobs rebuild by (decision 0020).
alter table strata_catalog.files add column if not exists observed_dates jsonb;
-- Which input files each silver/gold table has processed: recorded in the same transaction as the table's commit,
-- so an incremental run reads exactly the files no committed run has read (DESIGN.md contract 6).
create table if not exists strata_catalog.consumed (
  table_id bigint not null references strata_catalog.tables,
  file_id  bigint not null references strata_catalog.files,
  primary key (table_id, file_id)
);

-- Which snapshot of each gold table PostgreSQL serves (written by the loader in its swap transaction).
create table if not exists strata_catalog.gold_loads (
  table_name  text primary key,
  snapshot_id bigint not null,
  loaded_at   timestamptz not null default now()
);
-- Rows PostgreSQL serves, kept by the loader so GET /v1/tables never counts a table (null: loaded before this column).
alter table strata_catalog.gold_loads add column if not exists row_count bigint;

create table if not exists strata_catalog.runs (
  run_id           text primary key,
  kind             text not null,
  target           text not null,
  started_at       timestamptz not null default clock_timestamp(),
  finished_at      timestamptz,
  status           text not null default 'running',
  rows_in          bigint,
  rows_out         bigint,
  rows_quarantined bigint,
  error            text,
  details          jsonb not null default '{}'
);
-- Which process runs a run (`<host>:<pid>`): a run whose process is gone is marked failed by the next run's start.
alter table strata_catalog.runs add column if not exists owner text;
create index if not exists runs_running on strata_catalog.runs (run_id) where status = 'running';

create index if not exists runs_started on strata_catalog.runs (started_at desc);

-- Every command's log lines (core/log.ts), kept STRATA_LOG_RETENTION_DAYS: what GET /v1/logs reads.
create table if not exists strata_catalog.logs (
  id      bigserial primary key,
  at      timestamptz not null,
  level   text not null,
  command text not null,
  run_id  text,
  target  text,
  message text not null,
  details jsonb not null default '{}'
);
create index if not exists logs_at on strata_catalog.logs (at desc);
create index if not exists logs_run on strata_catalog.logs (run_id, at) where run_id is not null;
