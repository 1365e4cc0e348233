import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandDateRanges, MAX_DATE_RANGES, mergeDateRanges, rangesOverlap, toDateRanges } from './date-ranges.ts';

describe('date ranges', () => {
  it('collapses consecutive days, across months and a leap day, in any order and with repeats', () => {
    assert.deepEqual(
      toDateRanges(['2024-03-01', '2024-02-28', '2024-02-29', '2024-02-29', '2024-03-05', '2023-12-31', '2024-01-01']),
      [
        ['2023-12-31', '2024-01-01'],
        ['2024-02-28', '2024-03-01'],
        ['2024-03-05', '2024-03-05'],
      ],
    );
    assert.deepEqual(toDateRanges([]), []);
  });

  it('expands back to exactly the dates it was given', () => {
    const dates = ['2019-01-01', '2019-01-02', '2020-02-29', '2022-12-31', '2023-01-01'];
    assert.deepEqual(expandDateRanges(toDateRanges(dates)), dates);
    assert.equal(expandDateRanges([['2019-01-01', '2022-12-31']]).length, 1461);
  });

  it('keeps only the first and last date past the range limit', () => {
    const everyOtherDay = expandDateRanges([['2020-01-01', '2022-12-31']]).filter((_, i) => i % 2 === 0);
    assert.ok(everyOtherDay.length / 1 > MAX_DATE_RANGES);
    assert.deepEqual(toDateRanges(everyOtherDay), [['2020-01-01', everyOtherDay.at(-1)!]]);
  });

  it('merges the ranges of several files, and tells whether a span overlaps them', () => {
    const merged = mergeDateRanges(
      [['2026-11-01', '2026-11-02']],
      [
        ['2026-11-03', '2026-11-03'],
        ['2026-12-01', '2026-12-01'],
      ],
    );
    assert.deepEqual(merged, [
      ['2026-11-01', '2026-11-03'],
      ['2026-12-01', '2026-12-01'],
    ]);
    assert.equal(rangesOverlap(merged, '2026-11-04', '2026-11-30'), false);
    assert.equal(rangesOverlap(merged, '2026-11-03', '2026-11-04'), true);
  });
});
