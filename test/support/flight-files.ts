// Generated files of flights, the same rows as Parquet, CSV and a JSON array: `rows` rows, of which `duplicates` repeat
// an earlier row exactly (the case content dedup used to collapse). What a file source must keep, row for row.
import path from 'node:path';
import { withDuck } from '../../core/duckdb.ts';

export interface FlightFiles {
  parquet: string;
  csv: string;
  json: string;
  rows: number;
  /** sum(delay) over every row of the file, duplicates included, as DuckDB reads the Parquet file. */
  delaySum: bigint;
}

/** Writes the files into `dir` (the JSON array only when `json` is asked: it is the largest). */
export async function writeFlightFiles(
  dir: string,
  rows: number,
  duplicates = 191,
  formats: { csv?: boolean; json?: boolean } = { csv: true, json: true },
): Promise<FlightFiles> {
  const parquet = path.join(dir, 'flights.parquet');
  const csv = path.join(dir, 'flights.csv');
  const json = path.join(dir, 'flights.json');
  return withDuck(async (duck) => {
    const distinct = rows - duplicates;
    // Every column type a user's file commonly has: integers, a timestamp without zone, text, a double, a boolean.
    await duck.run(`create table flights as
      select i as flight_id,
             timestamp '2001-01-01 00:00:00' + to_minutes(i::bigint) as departure,
             'C' || (i % 37) as carrier,
             ((i * 7919) % 181)::integer - 30 as delay,
             round(100 + (i % 4000) * 1.25, 2)::double as distance,
             i % 11 = 0 as diverted
        from range(${distinct}) t(i)`);
    // The duplicates repeat rows spread over the file, each right after its original.
    await duck.run(
      `insert into flights select * from flights where flight_id % ${Math.max(1, Math.floor(distinct / duplicates))} = 0 limit ${duplicates}`,
    );
    const order = 'order by flight_id';
    await duck.run(`copy (select * from flights ${order}) to '${parquet}' (format parquet)`);
    if (formats.csv) await duck.run(`copy (select * from flights ${order}) to '${csv}' (header true)`);
    if (formats.json) await duck.run(`copy (select * from flights ${order}) to '${json}' (format json, array true)`);
    const delaySum = BigInt(String(await duck.scalar(`select sum(delay) from read_parquet('${parquet}')`)));
    const count = Number(await duck.scalar(`select count(*) from read_parquet('${parquet}')`));
    if (count !== rows) throw new Error(`generated ${count} rows, not ${rows}`);
    return { parquet, csv, json, rows, delaySum };
  });
}
