import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactDeep, redactError } from './redact.ts';

describe('redactError', () => {
  it('keeps the first line, cuts URLs to their origin and paths to their last part', () => {
    assert.equal(
      redactError(
        'GET https://user:pw@api.example.com/v1/obs?token=s3cret failed (403)\n    at fetch (/work/main/ingest/x.ts:1)',
      ),
      'GET https://api.example.com/… failed (403)',
    );
    assert.equal(
      redactError('IO Error: No files found that match the pattern "/srv/strata/.strata/lake/silver/t/a.parquet"'),
      'IO Error: No files found that match the pattern "…/a.parquet"',
    );
    assert.equal(redactError('x'.repeat(400)).length, 300);
    assert.deepEqual(redactDeep({ errors: ['see postgres://strata:pw@db:5432/strata'], n: 3 }), {
      errors: ['see postgres://db:5432/…'],
      n: 3,
    });
  });
});
