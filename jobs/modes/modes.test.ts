import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withDuck } from '../../core/duckdb.ts';
import { appendRows } from './append.ts';
import { mergeRows } from './merge.ts';
import { scd2Rows } from './scd2.ts';

const rows = (values: string) => `select * from (values ${values}) as t(id, price, ts)`;
const query = (sql: string) => withDuck(async (duck) => (await duck.allJson(`${sql} order by all`)).rows);

describe('write modes', () => {
  it('merge keeps one row per key, the first by latestBy, a new row winning a tie', async () => {
    const sql = mergeRows({
      batch: rows("('a', 2, 5), ('b', 9, 1), ('c', 7, 1)"),
      existing: rows("('a', 1, 4), ('b', 8, 3), ('c', 6, 1)"),
      primaryKey: ['id'],
      latestBy: 'ts desc',
    });
    assert.deepEqual(await query(sql), [
      { id: 'a', price: 2, ts: 5 },
      { id: 'b', price: 8, ts: 3 },
      { id: 'c', price: 7, ts: 1 },
    ]);
  });
  it('append adds new keys only', async () => {
    const sql = appendRows({
      batch: rows("('a', 2, 5), ('d', 1, 1)"),
      existing: rows("('a', 1, 4)"),
      primaryKey: ['id'],
    });
    assert.deepEqual(await query(sql), [{ id: 'd', price: 1, ts: 1 }]);
  });
  it('scd2 starts a version when the tracked column changes, folds repeats, and closes the previous version', async () => {
    const first = scd2Rows(
      { batch: rows("('a', 100, 1), ('a', 100, 2), ('a', 90, 3)"), primaryKey: ['id'] },
      { validFrom: 'ts' },
      ['price'],
    );
    const history = await query(first);
    assert.deepEqual(
      history.map((r) => [r.price, r.valid_from, r.valid_to, r.is_current]),
      [
        [90, 3, null, true],
        [100, 1, 3, false],
      ],
    );
    // A late report between the two versions, with the old price, changes nothing; a new price opens a version.
    const existing = `select * from (${first})`;
    const next = scd2Rows(
      { batch: rows("('a', 100, 2), ('a', 95, 4)"), existing, primaryKey: ['id'] },
      { validFrom: 'ts' },
      ['price'],
    );
    assert.deepEqual(
      (await query(next)).map((r) => [r.price, r.valid_from, r.valid_to, r.is_current]),
      [
        [90, 3, 4, false],
        [95, 4, null, true],
        [100, 1, 3, false],
      ],
    );
  });
});
