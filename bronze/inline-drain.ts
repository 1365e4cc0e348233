// A collector's own bronze writer, for when its stream's backlog is at the limit and no bronze writer is alive
// (decision 0021): it writes the backlog to the lake in the collector's process, then leaves the consumer group.
import { hostname } from 'node:os';
import { TransientError } from '../core/errors.ts';
import type { Runtime } from '../lake/runtime.ts';
import { BRONZE_GROUP, streamKey } from '../streams/keys.ts';
import { drainSource } from './bronze-writer.ts';

/** What `runIngest`'s `drainInline` option takes: drains the source's events to bronze, returns the rows written. */
export function inlineDrain(rt: Runtime, source: string): () => Promise<number> {
  const consumer = `inline-${hostname()}-${process.pid}`;
  return async () => {
    const result = await drainSource(rt, source, { consumer, kinds: ['events'] });
    if (result.status === 'failed')
      throw new TransientError(`writing the backlog of ${source} to bronze failed: ${result.error}`);
    // Nothing is pending for it after a drain that succeeded: the group keeps no trace of a consumer that is gone.
    await rt.redis().xgroup('DELCONSUMER', streamKey(rt.config.redisPrefix, source), BRONZE_GROUP, consumer);
    return result.rowsOut;
  };
}
