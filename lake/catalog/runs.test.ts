import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcomeOf } from './runs.ts';

describe('outcomeOf: the run record of a step result', () => {
  const step = {
    kind: 'bronze',
    target: 'shop_orders',
    runId: 'bronze-1',
    status: 'succeeded' as const,
    rowsIn: 10,
    rowsOut: 9,
    rowsRejected: 1,
    durationMillis: 120,
    filesWritten: 2,
    changed: [{ id: 1 }],
    error: undefined,
  };

  it('keeps the common fields as columns and every other field as details', () => {
    assert.deepEqual(outcomeOf(step, ['changed']), {
      status: 'succeeded',
      rowsIn: 10,
      rowsOut: 9,
      rowsRejected: 1,
      error: undefined,
      details: { durationMillis: 120, filesWritten: 2 },
    });
  });

  it('records a failed step as failed with its error, and an up-to-date one as succeeded', () => {
    assert.deepEqual(
      [
        outcomeOf({ ...step, status: 'failed', error: 'boom' }).status,
        outcomeOf({ ...step, status: 'failed', error: 'boom' }).error,
      ],
      ['failed', 'boom'],
    );
    assert.equal(outcomeOf({ ...step, status: 'up to date' }).status, 'succeeded');
  });
});
