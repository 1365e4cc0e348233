import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withDuck } from '../core/duckdb.ts';
import { fileTable, fileTables } from './file-tables.ts';

const columns = { id: 'BIGINT', at: 'TIMESTAMP', name: 'VARCHAR', price: 'DECIMAL(9,2)', tags: 'VARCHAR[]' };

/** Runs a generated table's SQL over payloads standing in for bronze. */
async function typedRows(format: 'csv' | 'json', payloads: string[]) {
  const table = fileTable('trips', { format, key: [], columns }, 'file-sources.json');
  return withDuck(async (duck) => {
    await duck.run('create schema bronze');
    await duck.run('create table bronze.trips (event_id varchar, payload varchar)');
    for (const [i, p] of payloads.entries())
      await duck.run(`insert into bronze.trips values ('e${i}', '${p.replaceAll("'", "''")}')`);
    return duck.all(`select * exclude (_raw) from (${table.sql}) order by event_id`);
  });
}

describe('the silver table of a file source', () => {
  it('casts each value to its declared type and flags a row whose value does not cast', async () => {
    const rows = await typedRows('json', [
      '{"id":1,"at":"2001-01-01 00:01:00","name":"a","price":2.5,"tags":["x","y"]}',
      '{"id":"2","at":"2001-01-01T00:02:00Z","name":null,"price":"3.10"}',
      '{"id":"three","at":"2001-01-01","name":"c","price":1}',
    ]);
    assert.deepEqual(rows[0], {
      id: 1n,
      at: new Date('2001-01-01T00:01:00Z'),
      name: 'a',
      price: 2.5,
      tags: ['x', 'y'],
      event_id: 'e0',
      _types_ok: true,
    });
    assert.equal(rows[1]!.id, 2n);
    assert.equal(rows[1]!.price, 3.1);
    assert.equal(rows[1]!.tags, null);
    assert.equal(rows[1]!._types_ok, true);
    assert.equal(rows[2]!.id, null);
    assert.equal(rows[2]!._types_ok, false);
  });

  it('reads an empty CSV cell as NULL, as read_csv does, and not as a cast failure', async () => {
    const rows = await typedRows('csv', ['{"id":"1","at":"","name":"","price":"","tags":""}']);
    assert.deepEqual(
      { id: rows[0]!.id, at: rows[0]!.at, name: rows[0]!.name, price: rows[0]!.price, ok: rows[0]!._types_ok },
      { id: 1n, at: null, name: null, price: null, ok: true },
    );
  });

  it('appends by event id without key columns, merges by them with one, the latest by the time column winning', () => {
    const keyless = fileTable('trips', { format: 'csv', key: [], columns }, 'f.json');
    assert.deepEqual([keyless.writeMode, keyless.primaryKey], ['append', ['event_id']]);
    const keyed = fileTable('trips', { format: 'csv', key: ['id'], time: 'at', columns }, 'f.json');
    assert.deepEqual(
      [keyed.writeMode, keyed.primaryKey, keyed.latestBy],
      ['merge', ['id'], '"at" desc nulls last, "event_id" desc'],
    );
    const own = fileTable('trips', { format: 'csv', key: [], columns: { event_id: 'VARCHAR' } }, 'f.json');
    assert.deepEqual(own.primaryKey, ['strata_event_id']);
  });

  it('leaves out a source whose table has a folder of its own', () => {
    const sources = {
      trips: { format: 'csv' as const, key: [], columns },
      rides: { format: 'csv' as const, key: [], columns },
    };
    assert.deepEqual(
      fileTables(sources, 'f.json', ['trips']).map((t) => t.name),
      ['rides'],
    );
  });
});
