import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HTTPException } from 'hono/http-exception';
import type { GoldTable } from './gold-catalog.ts';
import { buildTableQuery, cursorAfter, DEFAULT_LIMIT, KEY_ALIAS } from './table-query.ts';

const table: GoldTable = {
  name: 'weather_daily',
  description: null,
  primaryKey: ['city', 'date'],
  columns: ['city', 'date', 'temperature_mean_c'].map((name) => ({ name, type: 'text', description: null })),
};

const statusOf = (params: [string, string][]) => {
  try {
    buildTableQuery(table, params);
    return 200;
  } catch (error) {
    return (error as HTTPException).status;
  }
};

describe('buildTableQuery', () => {
  it('turns filters into parameters, never into SQL text, and sorts by the primary key after the requested order', () => {
    const q = buildTableQuery(table, [
      ['city', "Paris'; drop table x; --"],
      ['date[gte]', '2026-11-02'],
      ['order', '-temperature_mean_c'],
    ]);
    assert.equal(
      q.sql,
      'select "city", "date", "temperature_mean_c", "temperature_mean_c"::text as "__strata_key_0", "city"::text as "__strata_key_1", "date"::text as "__strata_key_2" ' +
        'from "gold"."weather_daily" where "city" = $1 and "date" >= $2 ' +
        `order by "temperature_mean_c" desc nulls first, "city" asc nulls last, "date" asc nulls last limit ${DEFAULT_LIMIT + 1}`,
    );
    assert.deepEqual(q.values, ["Paris'; drop table x; --", '2026-11-02']);
  });

  it('continues after a cursor with one parameter per key value, NULLs placed as the ORDER BY places them', () => {
    const first = buildTableQuery(table, [
      ['order', '-temperature_mean_c'],
      ['city', 'Paris'],
      ['count', 'exact'],
    ]);
    const cursor = cursorAfter(first, {
      [`${KEY_ALIAS}0`]: null,
      [`${KEY_ALIAS}1`]: 'Paris',
      [`${KEY_ALIAS}2`]: '2026-11-03',
    });
    const next = buildTableQuery(table, [
      ['order', '-temperature_mean_c'],
      ['city', 'Paris'],
      ['cursor', cursor],
      ['count', 'exact'],
    ]);
    assert.match(
      next.sql,
      /where "city" = \$1 and \(\("temperature_mean_c" is not null\) or \("temperature_mean_c" is null and \("city" > \$2 or "city" is null\)\) or \("temperature_mean_c" is null and "city" = \$3 and \("date" > \$4 or "date" is null\)\)\) order by/,
    );
    assert.deepEqual(next.values, ['Paris', 'Paris', 'Paris', '2026-11-03']);
    // The count ignores the cursor: it is the total the filters match.
    assert.equal(next.countSql, 'select count(*)::bigint as total from "gold"."weather_daily" where "city" = $1');
    assert.deepEqual(next.countValues, ['Paris']);
  });

  it('refuses a cursor made for another sort order, or one it did not make', () => {
    const cursor = cursorAfter(buildTableQuery(table, []), {
      [`${KEY_ALIAS}0`]: 'Lyon',
      [`${KEY_ALIAS}1`]: '2026-11-01',
    });
    assert.equal(statusOf([['cursor', cursor]]), 200);
    assert.equal(
      statusOf([
        ['cursor', cursor],
        ['order', 'date'],
      ]),
      400,
    );
    assert.equal(statusOf([['cursor', 'not a cursor!']]), 400);
    assert.equal(statusOf([['cursor', Buffer.from('{"o":1}').toString('base64url')]]), 400);
  });

  it('accepts only known columns, operators, formats and limits', () => {
    assert.equal(statusOf([['"city" or 1=1 --', 'x']]), 400);
    assert.equal(statusOf([['city[like]', 'P%']]), 400);
    assert.equal(statusOf([['city[constructor]', 'x']]), 400);
    assert.equal(statusOf([['fields', 'city,password']]), 400);
    assert.equal(statusOf([['fields', '-city']]), 400);
    assert.equal(statusOf([['order', 'city;drop']]), 400);
    assert.equal(statusOf([['order', 'city,-city']]), 400);
    assert.equal(statusOf([['limit', '0']]), 400);
    assert.equal(statusOf([['limit', '10001']]), 400);
    assert.equal(statusOf([['limit', '1e3']]), 400);
    assert.equal(
      statusOf([
        ['limit', '5'],
        ['limit', '6'],
      ]),
      400,
    );
    assert.equal(statusOf([['format', 'xml']]), 400);
    assert.equal(statusOf([['count', 'yes']]), 400);
    assert.equal(
      statusOf([
        ['format', 'csv'],
        ['limit', '500000'],
      ]),
      200,
    );
    assert.equal(
      statusOf([
        ['fields', 'date,city'],
        ['limit', '5'],
        ['order', '-date'],
      ]),
      200,
    );
  });

  it('streams every row for csv and ndjson unless a limit is given', () => {
    assert.doesNotMatch(buildTableQuery(table, [['format', 'ndjson']]).sql, /limit/);
    assert.match(
      buildTableQuery(table, [
        ['format', 'csv'],
        ['limit', '20'],
      ]).sql,
      /limit 20$/,
    );
  });
});
