import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HTTPException } from 'hono/http-exception';
import { buildQuery, DEFAULT_LIMIT } from './tables.ts';

const columns = ['city', 'date', 'temperature_mean_c'].map((name) => ({ name, type: 'text', description: null }));

describe('buildQuery', () => {
  it('turns filters into parameters, never into SQL text', () => {
    const q = buildQuery('weather_daily', columns, [['city', "Paris'; drop table x; --"], ['date[gte]', '2026-11-02'], ['order', '-date']]);
    assert.equal(q.rowsSql, `select "city", "date", "temperature_mean_c" from "gold"."weather_daily" where "city" = $1 and "date" >= $2 order by "date" desc limit ${DEFAULT_LIMIT} offset 0`);
    assert.deepEqual(q.values, ["Paris'; drop table x; --", '2026-11-02']);
  });

  it('accepts only known columns and operators', () => {
    const status = (params: [string, string][]) => {
      try {
        buildQuery('weather_daily', columns, params);
        return 200;
      } catch (error) {
        return (error as HTTPException).status;
      }
    };
    assert.equal(status([['"city" or 1=1 --', 'x']]), 400);
    assert.equal(status([['city[like]', 'P%']]), 400);
    assert.equal(status([['fields', 'city,password']]), 400);
    assert.equal(status([['order', 'city;drop']]), 400);
    assert.equal(status([['limit', '0']]), 400);
    assert.equal(status([['limit', '10001']]), 400);
    assert.equal(status([['offset', '-1']]), 400);
    assert.equal(status([['fields', 'date,city'], ['limit', '5'], ['offset', '10']]), 200);
  });
});
