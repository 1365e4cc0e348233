// Runs one declared table by its plan: its SQL over the input files the plan chose, the expectations, then the write
// mode, committed as the table's next snapshot together with the input files it consumed (so the next incremental
// run skips them). Rows that break a quarantine rule go to `<table>__quarantine` (quarantine.ts).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { refOf, type DataFile, type LiveFile, type Snapshot, type TableRef } from '../lake/catalog/catalog.ts';
import { sqlIdent, sqlString, type DuckSession } from '../core/duckdb.ts';
import { describeError, TerminalError } from '../core/errors.ts';
import { failpoint } from '../core/failpoints.ts';
import type { Runtime } from '../lake/runtime.ts';
import { attachFiles, viewName } from '../lake/lake-views.ts';
import { partitionOf, type InputState, type TablePlan } from './plan.ts';
import { writeQuarantine } from './quarantine.ts';
import { checkSchema, type ColumnType } from './schema-check.ts';
import { emptyResult, type Expectation, type TableDefinition, type TableRunResult } from './table-spec.ts';
import { writeRows } from './write-files.ts';
import { appendRows, mergeRows, scd2Rows, SCD2_COLUMNS, type ModeInput } from './write-modes.ts';
import {
  combineWindows,
  LATE_RULE,
  lateReason,
  nextWindowState,
  partialWindows,
  windowColumns,
  windowRules,
  type WindowState,
} from './window-mode.ts';

/** Columns whose names start with `_` feed rules and quarantine (e.g. `_raw`) but are not written to the table. */
const isInternal = (column: string) => column.startsWith('_');
// The checked rows live in a compressed in-memory database: a 10M-row run then fits the memory limit instead of
// spilling uncompressed pages (measured with bench:jobs: 1.40× bare DuckDB uncompressed, 1.25× compressed).
const WORK = '__work';
const CHECKED = `${WORK}.checked`;

export interface TableRunContext {
  rt: Runtime;
  duck: DuckSession;
  runId: string;
  /** Every declared table by `<layer>.<name>`, to define the views a table reads. */
  definitions: Map<string, TableDefinition>;
  plan: TablePlan;
  inputs: InputState[];
  target?: Snapshot;
  onProgress?: (message: string) => void;
  /** window mode: return the windows the run changed (TableRunResult.changedRows), for an incremental load. */
  collectChanges?: boolean;
}

export async function runTable(ctx: TableRunContext, table: TableDefinition): Promise<TableRunResult> {
  const started = Date.now();
  const { rt, duck, plan, runId } = ctx;
  const result = emptyResult(`${table.layer}.${table.name}`, 'succeeded');
  const ref: TableRef = { layer: table.layer, name: table.name };
  const tmpDir = path.join(rt.config.dataDir, 'tmp', 'jobs', runId);
  try {
    const read = [...plan.read.values()].flat();
    result.filesIn = read.length;
    result.rowsIn = read.reduce((n, f) => n + f.rowCount, 0);
    ctx.onProgress?.(
      `${plan.reason}: reading ${result.filesIn} file(s), ${result.rowsIn.toLocaleString('en-US')} rows`,
    );
    await attachInputs(ctx, table);
    await mkdir(tmpDir, { recursive: true });
    await duck.run(`attach ':memory:' as ${WORK} (compress)`);

    const windowState =
      table.writeMode === 'window' && plan.scope === 'new' && ctx.target
        ? await windowStateOf(rt, ctx.target.snapshotId)
        : undefined;
    const rules = rulesOf(table, windowState);
    const progress = (stage: string) =>
      ctx.onProgress && ((percent: number) => ctx.onProgress!(`${stage}: ${percent} %`));
    const columns = await checkRows(duck, table, rules, progress('reading and checking'));
    const counts = await countRows(duck, table, rules);
    const failing = rules.filter(([rule, e]) => e.action === 'fail' && counts.broken[rule]! > 0);
    if (failing.length) {
      throw new TerminalError(
        `${result.table}: expectations with action "fail" were broken:\n${failing.map(([rule, e]) => `- ${rule} (${e.check}): ${counts.broken[rule]} rows`).join('\n')}\nFix the input or relax the rule's action.`,
      );
    }
    for (const [rule, e] of rules)
      if (e.action === 'warn' && counts.broken[rule]! > 0) result.warnings[rule] = counts.broken[rule]!;
    result.rowsQuarantined = counts.quarantined;
    result.rowsDropped = counts.dropped;
    if (counts.duplicateKeys > 0) {
      throw new TerminalError(
        `${result.table}: ${counts.duplicateKeys} rows repeat the primary key (${table.primaryKey.join(', ')}); keep one row per key in ${path.basename(table.sqlPath)} (e.g. with QUALIFY row_number() …), or declare writeMode "merge" with latestBy`,
      );
    }

    const output = columns.filter((c) => !isInternal(c));
    const batch = `select ${output.map(sqlIdent).join(', ')} from ${CHECKED} where ${keepCondition(rules)}${ranksRows(table) ? ` and ${RANK} = 1` : ''}`;
    let written: Written;
    if (table.writeMode === 'window') {
      written = await writeWindows(ctx, table, batch, windowState, tmpDir);
    } else {
      const { sql, remove, partitions } = await combine(ctx, table, batch);
      ctx.onProgress?.(`writing${partitions.length ? ` ${partitions.length} partition(s)` : ''}`);
      written = {
        files: await writeRows(rt, duck, ref, sql, {
          partitionBy: table.partitionBy,
          tmpDir,
          runId,
          onProgress: progress('writing'),
        }),
        remove,
      };
    }
    const { files, remove } = written;
    result.rowsOut = files.reduce((n, f) => n + f.rowCount, 0);
    result.partitions = [...new Set(files.map(partitionOf).filter((p): p is string => !!p))].sort();
    result.baseSnapshotId = ctx.target?.snapshotId ?? null;
    failpoint('table-before-commit');
    result.snapshotId = await rt.catalog.commit({
      table: ref,
      baseSnapshotId: ctx.target?.snapshotId ?? null,
      runId,
      add: files,
      remove,
      operation:
        plan.scope === 'all'
          ? 'replace'
          : table.writeMode === 'append'
            ? 'append'
            : plan.scope === 'partitions'
              ? 'overwrite'
              : 'merge',
      consumed: read.map((f) => f.fileId),
      // An incremental run folds its input into the table once: a file another run processed meanwhile is a conflict.
      consumeOnce: plan.scope === 'new',
      summary: {
        scope: plan.scope,
        reason: plan.reason,
        filesIn: result.filesIn,
        rowsIn: result.rowsIn,
        rowsQuarantined: result.rowsQuarantined,
        rowsDropped: result.rowsDropped,
        partitions: result.partitions,
        ...(written.window ? { window: written.window } : {}),
      },
    });
    failpoint('table-after-commit');
    if (written.changed) result.changedRows = written.changed;
    await writeQuarantine(rt, duck, table, {
      checked: CHECKED,
      columns,
      rules: rules.filter(([, e]) => e.action === 'quarantine').map(([r]) => r),
      replace: plan.scope === 'all',
      tmpDir,
      runId,
      reasons: windowState && table.window ? { [LATE_RULE]: lateReason(table.window, windowState, 'c') } : undefined,
    });
  } catch (error) {
    result.status = 'failed';
    result.error = describeError(error);
  } finally {
    await duck.run(`detach database if exists ${WORK}`).catch(() => {});
    await rm(tmpDir, { recursive: true, force: true });
  }
  result.durationMillis = Date.now() - started;
  return result;
}

/**
 * The declared rules, plus one that keeps rows without a partition value out of a partitioned table; a window table's
 * rows need an event time instead, and those whose window the watermark closed are late.
 */
function rulesOf(table: TableDefinition, windowState?: WindowState): [string, Expectation][] {
  const rules = Object.entries(table.expectations ?? {});
  if (table.window) rules.push(...windowRules(table.window, windowState));
  else if (table.partitionBy)
    rules.push([
      `${table.partitionBy}_present`,
      { check: `${sqlIdent(table.partitionBy)} is not null`, action: 'quarantine' },
    ]);
  return rules;
}

const broke = (rule: string) => sqlIdent(`__broke_${rule}`);
const anyOf = (rules: [string, Expectation][], action: string) =>
  rules
    .filter(([, e]) => e.action === action)
    .map(([rule]) => broke(rule))
    .join(' or ') || 'false';
const keepCondition = (rules: [string, Expectation][]) =>
  `not (${anyOf(rules, 'quarantine')}) and not (${anyOf(rules, 'drop')})`;

/** Input views over the planned files, then the views (writeMode "view") the table reads through. */
async function attachInputs(ctx: TableRunContext, table: TableDefinition): Promise<void> {
  // A bronze file holds rows of many observation dates: a partition rebuild reads only the rows of its dates.
  const dates =
    ctx.plan.scope !== 'partitions'
      ? undefined
      : ctx.plan.partitions.length
        ? `cast(observed_at as date) in (${ctx.plan.partitions.map(sqlString).join(', ')})`
        : 'false';
  for (const input of ctx.inputs) {
    const ref = refOf(input.name);
    await attachFiles(
      ctx.rt,
      ctx.duck,
      ref,
      ctx.plan.read.get(input.name) ?? [],
      input.liveFiles,
      ref.layer === 'bronze' ? dates : undefined,
    );
  }
  const defineViews = async (t: TableDefinition) => {
    for (const name of t.from) {
      const view = ctx.definitions.get(name);
      if (view?.writeMode !== 'view') continue;
      await defineViews(view);
      await defineView(ctx.duck, view);
    }
  };
  await defineViews(table);
}

/** Creates a view table's DuckDB view from its SQL. */
export async function defineView(duck: DuckSession, view: TableDefinition): Promise<void> {
  await duck.run(`create schema if not exists ${sqlIdent(view.layer)}`);
  await duck.run(`create or replace view ${viewName(view)} as ${stripSemicolon(view.sql)}`);
}

const stripSemicolon = (sql: string) => sql.trim().replace(/;\s*$/, '');

/** merge and append keep the first valid row per key; ranking rows while checking them saves a second sort. */
const ranksRows = (table: TableDefinition) => table.writeMode === 'merge' || table.writeMode === 'append';
const RANK = '__rank';

/**
 * Materialises the SQL's rows with one `__broke_<rule>` flag per rule; `_raw` is kept only where a quarantine rule
 * broke. For merge/append, `__rank` numbers the rows that pass within their key, the first by latestBy being 1.
 */
async function checkRows(
  duck: DuckSession,
  table: TableDefinition,
  rules: [string, Expectation][],
  onProgress?: (percent: number) => void,
): Promise<string[]> {
  const source = `(${stripSemicolon(table.sql)})`;
  const columns = (await describe(duck, `select * from ${source}`)).map((c) => c.name);
  const broken = (e: Expectation) => `not coalesce((${e.check}), false)`;
  const flags = rules.map(([rule, e]) => `${broken(e)} as ${broke(rule)}`);
  const any = (action: string) =>
    rules
      .filter(([, e]) => e.action === action)
      .map(([, e]) => broken(e))
      .join(' or ') || 'false';
  const checked = `select * ${columns.includes('_raw') ? 'exclude (_raw)' : ''}${flags.map((f) => `, ${f}`).join('')},
                          ${columns.includes('_raw') ? `case when ${any('quarantine')} then _raw end` : 'null'} as _raw,
                          not (${any('quarantine')}) and not (${any('drop')}) as __keep
                     from ${source}`;
  const pk = table.primaryKey.map(sqlIdent).join(', ');
  const rank = ranksRows(table)
    ? `, case when __keep then row_number() over (partition by ${pk} order by __keep desc${table.latestBy ? `, ${table.latestBy}` : ''}) end as ${RANK}`
    : '';
  await duck.run(
    `create or replace table ${CHECKED} as select * exclude (__keep${columns.includes('_raw') ? '' : ', _raw'})${rank} from (${checked})`,
    onProgress && { onProgress },
  );
  return columns;
}

async function countRows(duck: DuckSession, table: TableDefinition, rules: [string, Expectation][]) {
  const pk = table.primaryKey.map(sqlIdent).join(', ');
  // merge, append and scd2 keep one row per key themselves; replace must get one from its SQL.
  const duplicates =
    table.writeMode === 'replace'
      ? `count(*) filter (where ${keepCondition(rules)}) - count(distinct (${pk})) filter (where ${keepCondition(rules)})`
      : '0';
  const row = (
    await duck.all(
      `select ${rules.map(([rule]) => `count(*) filter (where ${broke(rule)}) as ${sqlIdent(rule)}, `).join('')}
            count(*) filter (where ${anyOf(rules, 'quarantine')}) as __quarantined,
            count(*) filter (where not (${anyOf(rules, 'quarantine')}) and (${anyOf(rules, 'drop')})) as __dropped,
            ${duplicates} as __duplicates
       from ${CHECKED}`,
    )
  )[0]!;
  return {
    broken: Object.fromEntries(rules.map(([rule]) => [rule, Number(row[rule])])),
    quarantined: Number(row.__quarantined),
    dropped: Number(row.__dropped),
    duplicateKeys: Number(row.__duplicates),
  };
}

interface Combined {
  sql: string;
  remove: 'all' | number[];
  partitions: string[];
}

/** The rows to write and the files they replace, by write mode and plan scope. */
async function combine(ctx: TableRunContext, table: TableDefinition, batch: string): Promise<Combined> {
  const { plan, duck } = ctx;
  const live = ctx.target?.files ?? [];
  // merge/append batches hold one row per key already (checkRows ranks them); scd2 keeps every version. Rows are
  // written unsorted: order inside a file is not part of a table's contract, and sorting 10M rows costs a fifth of a run.
  const mode: ModeInput = { batch, primaryKey: table.primaryKey, latestBy: table.latestBy };

  if (plan.scope === 'all') {
    if (table.writeMode === 'scd2')
      return {
        sql: scd2Rows(mode, table.scd2!, await trackedColumns(duck, table, batch)),
        remove: 'all',
        partitions: [],
      };
    return { sql: batch, remove: 'all', partitions: [] };
  }

  await checkAgainst(ctx, table, batch, live);
  if (plan.scope === 'partitions') {
    const part = sqlIdent(table.partitionBy!);
    const outside = Number(
      await duck.scalar(
        `select count(*) from (${batch}) where ${part}::varchar not in (${plan.partitions.map(sqlString).join(', ')})`,
      ),
    );
    if (outside > 0) {
      throw new TerminalError(
        `${table.layer}.${table.name}: ${outside} rows fall outside the partitions being rebuilt (${plan.partitions.join(', ')}); ${table.partitionBy} must be derived from the input's partition (e.g. the UTC date of observed_at)`,
      );
    }
    return {
      sql: batch,
      remove: idsOf(live.filter((f) => plan.partitions.includes(partitionOf(f) ?? ''))),
      partitions: plan.partitions,
    };
  }

  // scope `new`: fold the batch into the rows it may replace.
  if (table.writeMode === 'append')
    return {
      sql: appendRows({
        ...mode,
        existing: await filesQuery(ctx, await filesThatMayHoldKeys(ctx, table, batch, live)),
      }),
      remove: [],
      partitions: [],
    };
  if (table.writeMode === 'scd2') {
    return {
      sql: scd2Rows(
        { ...mode, existing: await filesQuery(ctx, live) },
        table.scd2!,
        await trackedColumns(duck, table, batch),
      ),
      remove: idsOf(live),
      partitions: [],
    };
  }
  // merge: only the partitions the batch touches are rewritten.
  let affected = live;
  let partitions: string[] = [];
  if (table.partitionBy) {
    partitions = (
      await duck.all(`select distinct ${sqlIdent(table.partitionBy)}::varchar as p from (${batch}) order by p`)
    ).map((r) => String(r.p));
    affected = live.filter((f) => partitions.includes(partitionOf(f) ?? ''));
  }
  return {
    sql: mergeRows({ ...mode, existing: await filesQuery(ctx, affected) }),
    remove: idsOf(affected),
    partitions,
  };
}

const idsOf = (files: LiveFile[]) => files.map((f) => f.fileId);

async function filesQuery(ctx: TableRunContext, files: LiveFile[]): Promise<string | undefined> {
  if (files.length === 0) return undefined;
  const paths = await Promise.all(files.map((f) => ctx.rt.store.localPath(f.path)));
  return `select * from read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`;
}

async function describe(duck: DuckSession, sql: string): Promise<ColumnType[]> {
  return (await duck.all(`describe ${sql}`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** Refuses a batch whose column types changed incompatibly from the table's files (new columns are fine). */
async function checkAgainst(
  ctx: TableRunContext,
  table: TableDefinition,
  batch: string,
  live: LiveFile[],
): Promise<void> {
  const existing = await filesQuery(ctx, live);
  if (!existing) return;
  const columns = (await describe(ctx.duck, existing)).filter(
    (c) => !(SCD2_COLUMNS as readonly string[]).includes(c.name),
  );
  const added = checkSchema(
    `${table.layer}.${table.name}`,
    columns,
    await describe(ctx.duck, batch),
    path.basename(table.sqlPath),
  );
  if (added.length) ctx.onProgress?.(`new column(s) ${added.join(', ')}: older rows read them as NULL`);
}

async function trackedColumns(duck: DuckSession, table: TableDefinition, batch: string): Promise<string[]> {
  if (table.scd2!.trackedColumns) return table.scd2!.trackedColumns;
  const skip = new Set([...table.primaryKey, table.scd2!.validFrom]);
  return (await describe(duck, batch)).map((c) => c.name).filter((c) => !skip.has(c));
}

interface Written {
  files: DataFile[];
  remove: 'all' | number[];
  window?: WindowState;
  changed?: Record<string, unknown>[];
}

const WINDOWS = `${WORK}.windows`;

/** The watermark the table's current snapshot carries (undefined before its first window run). */
async function windowStateOf(rt: Runtime, snapshotId: number): Promise<WindowState | undefined> {
  return (await rt.catalog.snapshotSummary(snapshotId)).window as WindowState | undefined;
}

/**
 * window mode: the batch's partial windows, combined with the open windows when the run folds new rows in (a rebuild
 * aggregates everything), then split by the new watermark into closed windows (files never rewritten) and open ones.
 * Open files are those that may hold a window ending after the old watermark; closed files never do.
 */
async function writeWindows(
  ctx: TableRunContext,
  table: TableDefinition,
  batch: string,
  state: WindowState | undefined,
  tmpDir: string,
): Promise<Written> {
  const { rt, duck, plan, runId } = ctx;
  const w = table.window!;
  const ref: TableRef = { layer: table.layer, name: table.name };
  const partial = partialWindows(w, batch, table.partitionBy);
  const live = ctx.target?.files ?? [];
  let windows = partial;
  let remove: Written['remove'] = 'all';
  if (plan.scope === 'partitions') {
    remove = idsOf(live.filter((f) => plan.partitions.includes(partitionOf(f) ?? '')));
  } else if (plan.scope === 'new') {
    const open = state ? await filesEndingAfter(duck, live, state.watermark) : live;
    const existing = await filesQuery(ctx, open);
    if (existing) {
      await checkAgainst(ctx, table, partial, open);
      windows = combineWindows(w, existing, partial, table.partitionBy);
    }
    remove = idsOf(open);
  }
  const columns = windowColumns(w, table.partitionBy).map(sqlIdent).join(', ');
  await duck.run(`create or replace table ${WINDOWS} as select ${columns} from (${windows})`);
  const next =
    plan.scope === 'partitions'
      ? (state ?? (await windowStateOf(rt, ctx.target!.snapshotId)))
      : await nextWindowState(duck, w, batch, state);
  const closedIf = next ? `period_end <= ${sqlString(next.watermark)}::timestamptz` : 'false';
  const files: DataFile[] = [];
  const counts = (
    await duck.all(
      `select count(*) filter (where ${closedIf}) as closed, count(*) filter (where not (${closedIf})) as open from ${WINDOWS}`,
    )
  )[0]!;
  const write = (where: string, suffix: string) =>
    writeRows(rt, duck, ref, `select * from ${WINDOWS} where ${where} order by all`, {
      partitionBy: table.partitionBy,
      tmpDir,
      runId: `${runId}-${suffix}`,
    });
  if (Number(counts.closed) > 0) files.push(...(await write(closedIf, 'closed')));
  const keepsNoFile = remove === 'all' || live.every((f) => remove.includes(f.fileId));
  if (Number(counts.open) > 0 || (files.length === 0 && keepsNoFile))
    files.push(...(await write(`not (${closedIf})`, 'open')));
  ctx.onProgress?.(
    `${counts.open} open and ${counts.closed} closed window(s) written; watermark ${next?.watermark ?? 'not set'}`,
  );
  let changed: Written['changed'];
  if (ctx.collectChanges) {
    const keys = [...w.groupBy, 'period_start'].map(sqlIdent).join(', ');
    changed = (await duck.allJson(`select * from ${WINDOWS} where (${keys}) in (select (${keys}) from (${partial}))`))
      .rows;
  }
  return { files, remove, window: next, changed };
}

/** Files whose windows may end after `watermark` (files without statistics are kept, to be safe). */
async function filesEndingAfter(duck: DuckSession, files: LiveFile[], watermark: string): Promise<LiveFile[]> {
  if (files.length === 0) return [];
  const values = files
    .map(
      (f, i) =>
        `(${i}, ${f.columnStats?.period_end?.max == null ? 'null' : sqlString(String(f.columnStats.period_end.max))})`,
    )
    .join(', ');
  const rows = await duck.all(
    `select i from (values ${values}) v(i, hi) where try_cast(hi as timestamptz) is null or try_cast(hi as timestamptz) > ${sqlString(watermark)}::timestamptz`,
  );
  return rows.map((r) => files[Number(r.i)]!);
}

/** Key columns whose Parquet statistics can rule a file out: numbers, dates and times (text statistics may be truncated). */
const PRUNABLE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|DATE|TIMESTAMP.*)$/;

/**
 * The files that may hold one of the batch's keys: a file whose min/max of some key column lies wholly outside the
 * batch's range cannot. What lets an append into a table of thousands of files read only the few recent ones.
 */
async function filesThatMayHoldKeys(
  ctx: TableRunContext,
  table: TableDefinition,
  batch: string,
  files: LiveFile[],
): Promise<LiveFile[]> {
  if (files.length === 0) return files;
  const types = new Map((await describe(ctx.duck, batch)).map((c) => [c.name, c.type]));
  const prunable = table.primaryKey.filter((k) => PRUNABLE.test(types.get(k) ?? ''));
  if (prunable.length === 0) return files;
  let kept = files.map((_, i) => i);
  for (const key of prunable) {
    const type = types.get(key)!;
    const stat = (f: LiveFile, side: 'min' | 'max') =>
      f.columnStats?.[key]?.[side] == null ? 'null' : sqlString(String(f.columnStats[key][side]));
    const values = kept.map((i) => `(${i}, ${stat(files[i]!, 'min')}, ${stat(files[i]!, 'max')})`).join(', ');
    const rows = await ctx.duck.all(
      `with b as (select min(${sqlIdent(key)}) as lo, max(${sqlIdent(key)}) as hi from (${batch}))
       select i from (values ${values}) v(i, fmin, fmax), b
        where b.lo is not null and (try_cast(fmin as ${type}) is null or try_cast(fmax as ${type}) is null
               or (try_cast(fmin as ${type}) <= b.hi and try_cast(fmax as ${type}) >= b.lo))`,
    );
    kept = rows.map((r) => Number(r.i));
    if (kept.length === 0) break;
  }
  return kept.map((i) => files[i]!);
}
