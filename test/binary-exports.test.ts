// Arrow and Parquet exports of a gold table (GET /v1/tables/:name?format=arrow|parquet): read back by apache-arrow's
// tableFromIPC and by DuckDB, they hold exactly the rows and values of the JSON export, filters included, across
// many batches.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tableFromIPC } from 'apache-arrow';
import { withDuck } from '../core/duckdb.ts';
import { createApp } from '../serving/app.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const ROWS = 2_500;

describe('arrow and parquet exports', { timeout: 120_000 }, () => {
  let env: Isolated;
  let folder: string;
  before(async () => {
    env = await isolatedRuntime();
    folder = mkdtempSync(path.join(os.tmpdir(), 'strata-exports-'));
    await env.rt.pool.query(`create schema if not exists gold;
      create table gold.trips (id bigint primary key, legs integer, km double precision, fare numeric(10,2), city text,
        day date, started_at timestamp with time zone, paid boolean, tags jsonb);
      insert into gold.trips
        select i, i % 7, i * 1.25, (i % 100) + 0.5, case when i % 11 = 0 then null else 'city ' || (i % 13) end,
               date '2026-11-01' + (i % 30), timestamptz '2026-11-01 08:00:00+00' + i * interval '61 seconds',
               i % 2 = 0, case when i % 5 = 0 then '{"vip": true}'::jsonb end
          from generate_series(1, ${ROWS}) as i`);
  });
  after(async () => {
    rmSync(folder, { recursive: true, force: true });
    await env?.cleanup();
  });

  const app = () => createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 0 } });
  /** The JSON rows (ndjson export) the binary exports must equal, each value as text (times as instants). */
  const jsonRows = async (query: string) =>
    (await (await app().request(`/v1/tables/trips?format=ndjson${query}`)).text())
      .trim()
      .split('\n')
      .map((line) => normalise(JSON.parse(line) as Record<string, unknown>));

  it('format=arrow streams an Arrow IPC stream that tableFromIPC reads as the JSON rows', async () => {
    const response = await app().request('/v1/tables/trips?format=arrow');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
    assert.equal(table.numRows, ROWS);
    assert.ok(table.batches.length >= 3, `${table.batches.length} record batches`);
    assert.deepEqual(
      table.schema.fields.map((f) => `${f.name}:${f.type}`),
      [
        'id:Int64',
        'legs:Int32',
        'km:Float64',
        'fare:Float64',
        'city:Utf8',
        'day:Date32<DAY>',
        'started_at:Timestamp<MILLISECOND, UTC>',
        'paid:Bool',
        'tags:Utf8',
      ],
    );
    const rows = table.toArray().map((r) => normalise(r.toJSON() as Record<string, unknown>));
    assert.deepEqual(rows, await jsonRows(''));
    // The filters of JSON pages apply too.
    const filtered = tableFromIPC(
      new Uint8Array(await (await app().request('/v1/tables/trips?format=arrow&legs=3&fields=id,legs')).arrayBuffer()),
    );
    assert.equal(filtered.numRows, (await jsonRows('&legs=3')).length);
  });

  it('format=parquet returns one Parquet file that DuckDB reads as the JSON rows', async () => {
    const response = await app().request('/v1/tables/trips?format=parquet&day[gte]=2026-11-10');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-disposition'), 'attachment; filename="trips.parquet"');
    const file = path.join(folder, 'trips.parquet');
    writeFileSync(file, new Uint8Array(await response.arrayBuffer()));
    const expected = await jsonRows('&day[gte]=2026-11-10');
    const rows = await withDuck(async (duck) => {
      const groups = Number(await duck.scalar(`select count(distinct row_group_id) from parquet_metadata('${file}')`));
      assert.ok(groups >= 2, `${groups} row groups`);
      return duck.all(`select * from read_parquet('${file}')`);
    });
    assert.equal(rows.length, expected.length);
    assert.deepEqual(
      rows.map((r) => normalise(r)),
      expected,
    );
  });
});

/** A row's values as text both readers agree on: numbers by value, dates and times as ISO, JSON as its text. */
function normalise(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) out[key] = null;
    // Arrow's rows give dates and timestamps as epoch milliseconds.
    else if ((key === 'day' || key === 'started_at') && typeof value === 'number')
      out[key] = key === 'day' ? new Date(value).toISOString().slice(0, 10) : new Date(value).toISOString();
    else if (value instanceof Date) out[key] = key === 'day' ? value.toISOString().slice(0, 10) : value.toISOString();
    else if (typeof value === 'bigint' || typeof value === 'number') out[key] = Number(value);
    else if (key === 'fare') out[key] = Number(value);
    else if (key === 'day') out[key] = String(value).slice(0, 10);
    else if (key === 'started_at') out[key] = new Date(String(value)).toISOString();
    else if (typeof value === 'object') out[key] = JSON.stringify(value);
    else if (key === 'tags') out[key] = JSON.stringify(JSON.parse(String(value)));
    else out[key] = value;
  }
  return out;
}
