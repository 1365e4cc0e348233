// window: tumbling event-time windows. Windows the watermark has closed are written once to files of their own and
// never rewritten; the open ones are rewritten by the next run, which reads only the files that may hold them.
import { sqlIdent, sqlString, type DuckSession } from '../../core/duckdb.ts';
import type { DataFile, LiveFile, TableRef } from '../../lake/catalog/catalog.ts';
import type { Runtime } from '../../lake/runtime.ts';
import { partitionOf } from '../plan.ts';
import { writeRows } from '../write-files.ts';
import { checkAgainst, filesQuery, idsOf, type ModeRun, WORK_DATABASE, type WriteMode, type Written } from './mode.ts';
import { combineWindows, nextWindowState, partialWindows, windowColumns, type WindowState } from './window-sql.ts';

/** The watermark a table's snapshot carries (undefined before its first window run). */
export async function windowStateOf(rt: Runtime, snapshotId: number): Promise<WindowState | undefined> {
  return (await rt.catalog.snapshotSummary(snapshotId)).window as WindowState | undefined;
}

/**
 * The batch's partial windows, combined with the open windows when the run folds new rows in (a rebuild aggregates
 * everything), then split by the new watermark into closed windows (files never rewritten) and open ones. Open files
 * are those that may hold a window ending after the old watermark; closed files never do.
 */
async function writeWindows({ ctx, table, batch, windowState: state, tmpDir }: ModeRun): Promise<Written> {
  const { rt, duck, plan, runId } = ctx;
  const w = table.window!;
  const ref: TableRef = { layer: table.layer, name: table.name };
  const windowsTable = `${WORK_DATABASE}.windows`;
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
  await duck.run(`create or replace table ${windowsTable} as select ${columns} from (${windows})`);
  const next =
    plan.scope === 'partitions'
      ? (state ?? (await windowStateOf(rt, ctx.target!.snapshotId)))
      : await nextWindowState(duck, w, batch, state);
  const closedIf = next ? `period_end <= ${sqlString(next.watermark)}::timestamptz` : 'false';
  const files: DataFile[] = [];
  const counts = (
    await duck.all(
      `select count(*) filter (where ${closedIf}) as closed, count(*) filter (where not (${closedIf})) as open from ${windowsTable}`,
    )
  )[0]!;
  const write = (where: string, suffix: string) =>
    writeRows(rt, duck, ref, `select * from ${windowsTable} where ${where} order by all`, {
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
    const query = `select * from ${windowsTable} where (${keys}) in (select (${keys}) from (${partial}))`;
    changed = (await duck.allJson(query)).rows;
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

export const windowMode: WriteMode = {
  ranksRows: false,
  keysFromSql: false,
  incrementalOperation: 'merge',
  write: writeWindows,
};
