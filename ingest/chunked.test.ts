import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunked } from './chunked.ts';

describe('chunked', () => {
  it('batches an async source lazily, the last batch shorter', async () => {
    let produced = 0;
    async function* numbers() {
      for (let i = 0; i < 7; i++) {
        produced++;
        yield i;
      }
    }
    const iterator = chunked(numbers(), 3);
    assert.deepEqual((await iterator.next()).value, [0, 1, 2]);
    assert.equal(produced, 3, 'reads no further than the batch it yields');
    const rest = [];
    for await (const batch of iterator) rest.push(batch);
    assert.deepEqual(rest, [[3, 4, 5], [6]]);
  });

  it('refuses a size that is not a positive integer', async () => {
    await assert.rejects(chunked([1], 0).next(), RangeError);
  });
});
