// Replays a source's dead letters: each kept raw record goes through the source's parser again (fixed since, one
// hopes); those that parse now are published to the stream (deduplicated like any event) and only then removed from
// the dead-letter stream, so a crash in between repeats a replay and never loses a record. The rest stay.
import { newRunId } from '../core/catalog/runs.ts';
import type { Runtime } from '../core/runtime.ts';
import { fieldsOf } from '../core/streams/backlog.ts';
import { deadLetterKey } from '../core/streams/keys.ts';
import { StreamPublisher } from '../core/streams/publisher.ts';
import { REJECTED_BY_COLLECTOR, toEnvelopes } from './ingest-runner.ts';
import type { SourceDefinition } from './source.ts';

export interface ReplayResult {
  source: string;
  runId: string;
  /** Dead letters read. */
  examined: number;
  /** Parsed now and appended to the stream. */
  replayed: number;
  /** Parsed now but already in the stream (the record had been collected again since). */
  duplicates: number;
  /** Still rejected by the parser: left in the dead-letter stream. */
  stillFailing: number;
  /** Dead letters of the bronze writer (a malformed stream entry, not a source record): left as they are. */
  skipped: number;
}

const BATCH = 500;

export async function replayDeadLetters(rt: Runtime, source: SourceDefinition, options: { limit?: number } = {}): Promise<ReplayResult> {
  const runId = await rt.runs.start('replay', source.name, newRunId('replay'));
  const result: ReplayResult = { source: source.name, runId, examined: 0, replayed: 0, duplicates: 0, stillFailing: 0, skipped: 0 };
  const redis = rt.redis();
  const key = deadLetterKey(rt.config.redisPrefix, source.name);
  const publisher = StreamPublisher.fromConfig(redis, rt.config);
  const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
  try {
    let after = '-';
    while (result.examined < limit) {
      const entries = (await redis.xrange(key, after, '+', 'COUNT', Math.min(BATCH, limit - result.examined))) as [string, string[]][];
      if (entries.length === 0) break;
      after = `(${entries.at(-1)![0]}`;
      result.examined += entries.length;
      const letters = entries.map(([id, fields]): Record<string, string> & { id: string } => ({ ...fieldsOf(fields), id }));
      // Bronze's letters (whole stream entries) and collector rejections (text not as sent) are not records to re-parse.
      const records = letters.filter((l) => !String(l.reason ?? '').includes('(stream entry ') && !String(l.reason ?? '').startsWith(REJECTED_BY_COLLECTOR));
      result.skipped += letters.length - records.length;
      const parsed = records.map((l) => ({ id: l.id, event: toEnvelopes(source, [{ text: l.raw ?? '' }], runId, rt.config.maxEventBytes).events[0] }));
      const replayable = parsed.filter((p) => p.event);
      result.stillFailing += records.length - replayable.length;
      if (replayable.length === 0) continue;
      const counts = await publisher.publish(source.name, replayable.map((p) => p.event!));
      result.replayed += counts.appended;
      result.duplicates += counts.duplicates;
      await redis.xdel(key, ...replayable.map((l) => l.id));
    }
    await rt.runs.finish(runId, { status: 'succeeded', rowsIn: result.examined, rowsOut: result.replayed, details: { ...result } });
  } catch (error) {
    await rt.runs.finish(runId, { status: 'failed', rowsIn: result.examined, rowsOut: result.replayed, error: (error as Error).message, details: { ...result } });
    throw error;
  }
  return result;
}
