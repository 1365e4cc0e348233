// Puts hand-written records into a source's bronze table the way collectors do: envelopes through the stream
// (dedup included), then the bronze writer.
import { drainSource } from '../../bronze/bronze-writer.ts';
import type { Runtime } from '../../lake/runtime.ts';
import { StreamPublisher } from '../../streams/publisher.ts';
import { envelope } from './envelopes.ts';

export interface FixtureRecord {
  key: string;
  observedAt: string;
  payload: Record<string, unknown>;
}

/** Publishes the records and drains them into bronze; returns how many bronze rows were written. */
export async function loadBronze(rt: Runtime, source: string, records: FixtureRecord[]): Promise<number> {
  const publisher = StreamPublisher.fromConfig(rt.redis(), rt.config);
  await publisher.publish(
    source,
    records.map((r) => envelope(source, r.key, JSON.stringify(r.payload), r.observedAt)),
  );
  return (await drainSource(rt, source)).rowsOut;
}
