import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { withDuck } from '../core/duckdb.ts';
import { checkFileSources, readFileSources, sniffColumns, sniffFormat, sourceNameOf } from './file-sources.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'file-sources-'));

describe('file source declarations', () => {
  it('reads a valid declaration, filling the defaults', () => {
    const sources = checkFileSources(
      { trips: { format: 'csv', columns: { id: 'BIGINT', at: 'TIMESTAMP' } } },
      'f.json',
    );
    assert.deepEqual(sources, { trips: { format: 'csv', key: [], columns: { id: 'BIGINT', at: 'TIMESTAMP' } } });
  });

  it('lists every problem of every source in one error, each with where it is', () => {
    const raw = {
      Bad_Name: { format: 'csv', columns: { a: 'INT' } },
      orders: { format: 'xlsx', columns: {} },
      trips: {
        format: 'parquet',
        key: ['id', 'nope'],
        time: 'when',
        csv: { delimiter: ';' },
        columns: { id: 'BIGINT' },
        sensitive: { id: 'encrypt', email: 'hash' },
      },
      people: { format: 'csv', columns: { name: 'VARCHAR' }, sensitive: { name: 'scramble' } },
      taken: { format: 'csv', columns: { a: 'INT' }, extra: true },
    };
    assert.throws(
      () => checkFileSources(raw, 'file-sources.json', ['taken']),
      (error: Error) => {
        const lines = error.message.split('\n');
        assert.equal(lines[0], 'Invalid file sources in file-sources.json:');
        assert.deepEqual(lines.slice(1).sort(), [
          '- "Bad_Name": a source name is lower case letters, digits and _ and starts with a letter',
          '- "taken": ingest/sources/taken/ already defines a source of that name; choose another',
          '- orders.columns: declare at least one column',
          '- orders.format: expected one of "csv"|"json"|"ndjson"|"parquet"',
          '- people.sensitive.name: expected one of "encrypt"|"hash"|"drop"',
          '- taken: Unrecognized key: "extra"',
          '- trips.csv: CSV options belong to a source of format "csv"',
          '- trips.key: "nope" is not a column (columns: id)',
          '- trips.sensitive: "email" is not a column (columns: id)',
          '- trips.sensitive: "id" is a key or time column, kept in clear in every envelope; choose another key',
          '- trips.time: "when" is not a column (columns: id)',
        ]);
        return true;
      },
    );
  });

  it('reads no file as no sources, and names a file that is not JSON', () => {
    assert.deepEqual(readFileSources(path.join(dir, 'absent.json')), {});
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "trips": ');
    assert.throws(() => readFileSources(broken), /broken\.json is not valid JSON .*; fix it or remove it/);
  });

  it('names a source after its file', () => {
    assert.equal(sourceNameOf('/x/Daily Trips-2024.csv'), 'daily_trips_2024');
    assert.equal(sourceNameOf('2024 export.parquet'), 'file_2024_export');
    assert.equal(sourceNameOf('rows.json.gz'), 'rows');
  });

  it('tells a JSON array from one JSON value a line, by the first character', async () => {
    writeFileSync(path.join(dir, 'a.json'), '\uFEFF  \n [ {"a": 1} ]');
    writeFileSync(path.join(dir, 'b.json'), '{"a": 1}\n{"a": 2}\n');
    assert.equal(await sniffFormat(path.join(dir, 'a.json')), 'json');
    assert.equal(await sniffFormat(path.join(dir, 'b.json')), 'ndjson');
    assert.equal(await sniffFormat(path.join(dir, 'c.jsonl')), 'ndjson');
    assert.equal(await sniffFormat(path.join(dir, 'd.xlsx')), undefined);
  });

  it('reads the columns as DuckDB does: Parquet types kept, CSV types inferred', async () => {
    const parquet = path.join(dir, 't.parquet');
    await withDuck((duck) =>
      duck.run(
        `copy (select 1::integer as n, 2.5::decimal(9,2) as d, timestamp '2001-01-01 00:01:00' as t, {'k': 1} as s) to '${parquet}'`,
      ),
    );
    assert.deepEqual(await sniffColumns(parquet, 'parquet'), {
      n: 'INTEGER',
      d: 'DECIMAL(9,2)',
      t: 'TIMESTAMP',
      s: 'STRUCT(k INTEGER)',
    });
    const csv = path.join(dir, 't.csv');
    writeFileSync(csv, 'id;price;day;name\n1;2.5;2024-01-02;a\n2;3;2024-01-03;b\n');
    assert.deepEqual(await sniffColumns(csv, 'csv', { delimiter: ';' }), {
      id: 'BIGINT',
      price: 'DOUBLE',
      day: 'DATE',
      name: 'VARCHAR',
    });
    await assert.rejects(
      sniffColumns(csv, 'parquet'),
      /cannot read the columns of .*t\.csv as parquet: .*pass --format/,
    );
  });
});
