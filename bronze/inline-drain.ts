// A collector's own bronze writer, for when its stream's backlog is at the limit and no bronze writer is alive
// (decision 0021): it writes the backlog to the lake in the collector's process, then leaves the consumer group.
import { hostname } from 'node:os';
import { TransientError } from '../core/errors.ts';
import type { Runtime } from '../lake/runtime.ts';
import { BRONZE_GROUP, streamKey } from '../streams/keys.ts';
import { drainSource } from './bronze-writer.ts';

const INLINE_BATCH_ROWS = 20_000;
const INLINE_BATCH_BYTES = 16 * 1024 * 1024;

/** What `runIngest`'s `drainInline` option takes: drains the source's events to bronze, returns the rows written. */
export function inlineDrain(rt: Runtime, source: string): () => Promise<number> {
  const consumer = `inline-${hostname()}-${process.pid}`;
  return async () => {
    // Smaller batches than a bronze writer's: the collector's process keeps its memory (≤ 512 MiB for a 3M-row file).
    const result = await drainSource(rt, source, {
      consumer,
      kinds: ['events'],
      maxBatchRows: INLINE_BATCH_ROWS,
      maxBatchBytes: INLINE_BATCH_BYTES,
    });
    if (result.status === 'failed')
      throw new TransientError(`writing the backlog of ${source} to bronze failed: ${result.error}`);
    // Nothing is pending for it after a drain that succeeded: the group keeps no trace of a consumer that is gone.
    await rt.redis().xgroup('DELCONSUMER', streamKey(rt.config.redisPrefix, source), BRONZE_GROUP, consumer);
    return result.rowsOut;
  };
}
