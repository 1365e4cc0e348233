// Your own files with no code, at volume: STRATA_FILES_ROWS rows (100,000 in `pnpm test`, 3,000,000 in
// `pnpm test:volume`) as Parquet, CSV and a JSON array, 191 of them exact repeats, through the commands a user runs:
// `pnpm ingest:file`, `pnpm bronze --once`, `pnpm job:silver`. Every row arrives, typed, with the file's exact sum.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { envFor } from '../core/config.ts';
import { DuckSession } from '../core/duckdb.ts';
import { attachLake } from '../jobs/lake-session.ts';
import { runPnpm } from './support/cli.ts';
import { writeFlightFiles, type FlightFiles } from './support/flight-files.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const ROWS = Number(process.env.STRATA_FILES_ROWS ?? 100_000);
const PEAK_LIMIT_MIB = 512;

describe(`pnpm ingest:file with ${ROWS.toLocaleString('en-US')} rows`, { timeout: 3_600_000 }, () => {
  let env: Isolated;
  let dir: string;
  let files: FlightFiles;
  let childEnv: Record<string, string>;
  const run = async (script: string, ...args: string[]) => {
    const exit = await runPnpm(script, args, childEnv);
    assert.equal(exit.code, 0, exit.output);
    return exit.output;
  };
  const query = async (sql: string) => {
    const duck = await DuckSession.open();
    try {
      await attachLake(env.rt, duck);
      return await duck.all(sql);
    } finally {
      duck.close();
    }
  };

  before(async () => {
    env = await isolatedRuntime();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ingest-file-'));
    // Its own declarations and data folder (inboxes): nothing shared with another run or the project's own.
    childEnv = {
      ...envFor(env.config),
      STRATA_FILE_SOURCES: path.join(dir, 'file-sources.json'),
      STRATA_DATA_DIR: path.join(dir, 'data'),
    };
    files = await writeFlightFiles(dir, ROWS);
  });
  after(async () => {
    await env?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every row of a Parquet file, identical ones too, in bounded memory; the same file renamed adds nothing', async () => {
    const first = await run('ingest:file', files.parquet);
    assert.match(
      first,
      /declared source flights in .*: parquet, 6 columns \(flight_id BIGINT, departure TIMESTAMP, carrier VARCHAR, delay INTEGER, distance DOUBLE, diverted BOOLEAN\)/,
    );
    assert.match(
      first,
      new RegExp(`flights\\.parquet: ${ROWS} rows read: ${ROWS} published, 0 duplicate, 0 dead-lettered`),
    );
    const peak = Number(/peak memory: (\d+) MiB/.exec(first)?.[1]);
    console.log(`ingest:file peak memory: ${peak} MiB for ${ROWS} Parquet rows`);
    assert.ok(peak > 0 && peak <= PEAK_LIMIT_MIB, `peak memory ${peak} MiB > ${PEAK_LIMIT_MIB} MiB`);

    const renamed = path.join(dir, 'flights-copy.parquet');
    await copyFile(files.parquet, renamed);
    const again = await run('ingest:file', renamed, '--source', 'flights');
    assert.match(
      again,
      new RegExp(`flights-copy\\.parquet: ${ROWS} rows read: 0 published, ${ROWS} duplicate, 0 dead-lettered`),
    );

    await run('bronze', '--once');
    await run('job:silver', '--select', 'flights');
    const [silver] = await query('select count(*)::bigint as n, sum(delay)::bigint as delay from silver.flights');
    assert.deepEqual(silver, { n: BigInt(ROWS), delay: files.delaySum });
    const [types] = await query(
      'select typeof(flight_id) as id, typeof(departure) as dep, typeof(delay) as delay, typeof(diverted) as diverted from silver.flights limit 1',
    );
    assert.deepEqual(types, { id: 'BIGINT', dep: 'TIMESTAMP', delay: 'INTEGER', diverted: 'BOOLEAN' });
  });

  it('gives the same silver rows from the CSV and the JSON array of the same rows', async () => {
    await run('ingest:file', files.csv, '--source', 'flights_csv');
    await run('ingest:file', files.json, '--source', 'flights_json');
    await run('bronze', '--once');
    await run('job:silver', '--select', 'flights_csv,flights_json');
    const columns = 'flight_id, departure, carrier, delay, distance, diverted';
    for (const other of ['flights_csv', 'flights_json']) {
      const [diff] = await query(`select
          (select count(*) from (select ${columns} from silver.flights except all select ${columns} from silver.${other}))::bigint as missing,
          (select count(*) from (select ${columns} from silver.${other} except all select ${columns} from silver.flights))::bigint as extra,
          (select count(*) from silver.${other})::bigint as n`);
      assert.deepEqual(diff, { missing: 0n, extra: 0n, n: BigInt(ROWS) }, other);
    }
  });
});
