// Runs one declared table by its plan: its SQL over the input files the plan chose, the expectations, then the write
// mode, committed as the table's next snapshot together with the input files it consumed (so the next incremental
// run skips them). Rows that break a quarantine rule go to `<table>__quarantine` (quarantine.ts).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { sqlIdent, sqlString, type DuckSession } from '../core/duckdb.ts';
import { describeError, TerminalError } from '../core/errors.ts';
import { failpoint } from '../core/failpoints.ts';
import { Stopwatch } from '../core/stopwatch.ts';
import { refOf, type TableRef } from '../lake/catalog/catalog.ts';
import { attachFiles, viewName } from '../lake/lake-views.ts';
import { MODES } from './modes/index.ts';
import { describe, type TableRunContext, WORK_DATABASE } from './modes/mode.ts';
import { windowStateOf } from './modes/window.ts';
import { LATE_RULE, lateReason, windowRules, type WindowState } from './modes/window-sql.ts';
import { partitionOf } from './plan.ts';
import { writeQuarantine } from './quarantine.ts';
import { emptyResult, type Expectation, type TableDefinition, type TableRunResult } from './table-spec.ts';

export type { TableRunContext } from './modes/mode.ts';

/** Columns whose names start with `_` feed rules and quarantine (e.g. `_raw`) but are not written to the table. */
const isInternal = (column: string) => column.startsWith('_');
// The checked rows live in a compressed in-memory database: a 10M-row run then fits the memory limit instead of
// spilling uncompressed pages (measured with bench:jobs: 1.40× bare DuckDB uncompressed, 1.25× compressed).
const WORK = WORK_DATABASE;
/** A full run replaces the table and a backfill overwrites partitions, whatever the mode; new input is the mode's. */
const SCOPE_OPERATIONS: Partial<Record<string, 'replace' | 'overwrite'>> = { all: 'replace', partitions: 'overwrite' };
const CHECKED = `${WORK}.checked`;

export async function runTable(given: TableRunContext, table: TableDefinition): Promise<TableRunResult> {
  const started = Date.now();
  const watch = new Stopwatch();
  const ctx: TableRunContext = { ...given, stopwatch: watch };
  const { rt, duck, plan, runId } = ctx;
  const result: TableRunResult = {
    ...emptyResult(`${table.layer}.${table.name}`, 'succeeded'),
    runId,
    scope: plan.scope,
  };
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
    const columns = await watch.time('checking', () => checkRows(duck, table, rules, progress('reading and checking')));
    const counts = await watch.time('counting', () => countRows(duck, table, rules));
    const failing = rules.filter(([rule, e]) => e.action === 'fail' && counts.broken[rule]! > 0);
    if (failing.length) {
      throw new TerminalError(
        `${result.target}: expectations with action "fail" were broken:\n${failing.map(([rule, e]) => `- ${rule} (${e.check}): ${counts.broken[rule]} rows`).join('\n')}\nFix the input or relax the rule's action.`,
      );
    }
    for (const [rule, e] of rules)
      if (e.action === 'warn' && counts.broken[rule]! > 0) result.warnings[rule] = counts.broken[rule]!;
    result.rowsRejected = counts.quarantined;
    result.rowsDropped = counts.dropped;
    if (counts.duplicateKeys > 0) {
      throw new TerminalError(
        `${result.target}: ${counts.duplicateKeys} rows repeat the primary key (${table.primaryKey.join(', ')}); keep one row per key in ${path.basename(table.sqlPath)} (e.g. with QUALIFY row_number() …), or declare writeMode "merge" with latestBy`,
      );
    }

    const mode = MODES[table.writeMode as keyof typeof MODES];
    const output = columns.filter((c) => !isInternal(c));
    const batch = `select ${output.map(sqlIdent).join(', ')} from ${CHECKED} where ${keepCondition(rules)}${ranksRows(table) ? ` and ${RANK} = 1` : ''}`;
    if (table.writeMode === 'view') throw new TerminalError(`${result.target} is a view: it is defined, never written`);
    const written = await MODES[table.writeMode].write({
      ctx,
      table,
      batch,
      tmpDir,
      windowState,
      progress: progress('writing'),
    });
    const { files, remove } = written;
    result.rowsOut = files.reduce((n, f) => n + f.rowCount, 0);
    result.partitions = [...new Set(files.map(partitionOf).filter((p): p is string => !!p))].sort();
    result.baseSnapshotId = ctx.target?.snapshotId ?? null;
    failpoint('table-before-commit');
    result.snapshotId = await watch.time('commit', () =>
      rt.catalog.commit({
        table: ref,
        baseSnapshotId: ctx.target?.snapshotId ?? null,
        runId,
        add: files,
        remove,
        operation: SCOPE_OPERATIONS[plan.scope] ?? mode.incrementalOperation,
        consumed: read.map((f) => f.fileId),
        // An incremental run folds its input into the table once: a file another run processed meanwhile is a conflict.
        consumeOnce: plan.scope === 'new',
        summary: {
          scope: plan.scope,
          reason: plan.reason,
          filesIn: result.filesIn,
          rowsIn: result.rowsIn,
          rowsQuarantined: result.rowsRejected,
          rowsDropped: result.rowsDropped,
          partitions: result.partitions,
          ...(written.window ? { window: written.window } : {}),
        },
      }),
    );
    failpoint('table-after-commit');
    if (written.changed) result.changedRows = written.changed;
    await watch.time('quarantine', () =>
      writeQuarantine(rt, duck, table, {
        checked: CHECKED,
        columns,
        rules: rules.filter(([, e]) => e.action === 'quarantine').map(([r]) => r),
        replace: plan.scope === 'all',
        tmpDir,
        runId,
        reasons: windowState && table.window ? { [LATE_RULE]: lateReason(table.window, windowState, 'c') } : undefined,
      }),
    );
  } catch (error) {
    result.status = 'failed';
    result.error = describeError(error);
  } finally {
    await duck.run(`detach database if exists ${WORK}`).catch(() => {});
    await rm(tmpDir, { recursive: true, force: true });
  }
  result.durationMillis = Date.now() - started;
  result.stages = watch.millis;
  return result;
}

/**
 * The declared rules, plus those every table keeps (decision 0029): a row needs its whole primary key (PostgreSQL
 * refuses a gold row without one, and a key of nulls matches nothing in merge) and, in a partitioned table, its
 * partition value. A window table's rows need an event time instead, and those whose window the watermark closed are
 * late.
 */
function rulesOf(table: TableDefinition, windowState?: WindowState): [string, Expectation][] {
  const rules = Object.entries(table.expectations ?? {});
  if (table.window) return [...rules, ...windowRules(table.window, windowState)];
  rules.push([
    'primary_key_present',
    { check: table.primaryKey.map((c) => `${sqlIdent(c)} is not null`).join(' and '), action: 'quarantine' },
  ]);
  if (table.partitionBy)
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

/** The table's SQL with its sensitive columns encrypted, hashed or left out (rules and files see only those). */
function protectedSql(table: TableDefinition): string {
  const sql = stripSemicolon(table.sql);
  const columns = Object.entries(table.sensitive ?? {});
  if (columns.length === 0) return sql;
  const dropped = columns.filter(([, s]) => s === 'drop').map(([c]) => sqlIdent(c));
  const replaced = columns
    .filter(([, s]) => s !== 'drop')
    .map(([c, s]) => `strata_${s}(${sqlIdent(c)}::varchar) as ${sqlIdent(c)}`);
  return `select *${dropped.length ? ` exclude (${dropped.join(', ')})` : ''}${replaced.length ? ` replace (${replaced.join(', ')})` : ''} from (${sql})`;
}

/** merge and append keep the first valid row per key; ranking rows while checking them saves a second sort. */
const ranksRows = (table: TableDefinition) => table.writeMode !== 'view' && MODES[table.writeMode].ranksRows;
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
  const source = `(${protectedSql(table)})`;
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
    table.writeMode !== 'view' && MODES[table.writeMode].keysFromSql
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
