// `pnpm bench:ingest`: events/s into a Redis stream through Strata's dedup (shared Bloom filter + exact confirmation,
// atomic with the append) next to plain pipelined XADD of the same envelopes in the same run, and the ratio.
import { parseCommand, runMain } from '../../core/cli.ts';
import { config } from '../../core/config.ts';
import { encodeEnvelope, eventIdOf, type EventEnvelope } from '../../streams/envelope.ts';
import { streamKey } from '../../streams/keys.ts';
import { StreamPublisher } from '../../streams/publisher.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { isolatedRuntime } from '../../infra/local/sandbox.ts';
import { compareRates } from './report.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:ingest [--events <n>] [--duplicates <share>] [--rounds <n>] [--json]',
  summary:
    "Appends N envelopes (~450 bytes) to a fresh stream twice: through the dedup publisher (collectors' path) and as plain\n" +
    'pipelined XADD. Prints both rates, the ratio (goal ≥ 0.9), the Bloom false positives seen, and the rows kept.',
  options: {
    events: { type: 'string', valueName: 'n', description: 'Events per round', default: '200000' },
    duplicates: {
      type: 'string',
      valueName: 'share',
      description: 'Share of the events that repeat an earlier one',
      default: '0.3',
    },
    rounds: { type: 'string', valueName: 'n', description: 'Rounds; the median is reported', default: '3' },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

function makeEvents(n: number, duplicateShare: number): EventEnvelope[] {
  const unique = Math.round(n * (1 - duplicateShare));
  return Array.from({ length: n }, (_, i) => {
    const u = i < unique ? i : (i * 7919) % unique; // repeats of earlier events
    const payload = JSON.stringify({
      match: `m${u % 5000}`,
      bookmaker: `b${u % 12}`,
      odds: [1 + (u % 300) / 100, 3.1, 2.4 + (u % 50) / 100],
      seen: u,
      note: 'odds comparison row',
    });
    const key = `m${u % 5000}|b${u % 12}|${u}`;
    const at = new Date(Date.UTC(2026, 10, 1, u % 24)).toISOString();
    return {
      source: 'bench',
      event_id: eventIdOf('bench', key, payload),
      natural_key: key,
      observed_at: at,
      ingested_at: at,
      schema_version: 1,
      run_id: 'bench',
      payload,
    };
  });
}

runMain(async () => {
  const n = Number(values.events);
  const share = Number(values.duplicates);
  await servicesUp(config(), ['redis', 'postgres']);
  const events = makeEvents(n, share);
  const uniqueCount = new Set(events.map((e) => e.event_id)).size;
  const dedupRates: number[] = [];
  const plainRates: number[] = [];
  let falsePositives = 0;
  for (let round = 1; round <= Number(values.rounds); round++) {
    const env = await isolatedRuntime('file');
    try {
      const redis = env.rt.redis();
      let t = performance.now();
      const counts = await StreamPublisher.fromConfig(redis, env.config).publish('bench', events);
      dedupRates.push(n / ((performance.now() - t) / 1000));
      falsePositives = counts.bloomFalsePositives;
      const kept = await redis.xlen(streamKey(env.config.redisPrefix, 'bench'));
      if (kept !== uniqueCount || counts.duplicates !== n - uniqueCount)
        throw new Error(`dedup kept ${kept} of ${uniqueCount} unique events`);

      const plainKey = streamKey(env.config.redisPrefix, 'plain');
      t = performance.now();
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < n; i += 1000) {
        const pipeline = redis.pipeline();
        for (const e of events.slice(i, i + 1000)) pipeline.xadd(plainKey, '*', 'envelope', encodeEnvelope(e));
        inFlight.push(pipeline.exec());
        if (inFlight.length >= 4) await inFlight.shift();
      }
      await Promise.all(inFlight);
      plainRates.push(n / ((performance.now() - t) / 1000));
      if ((await redis.xlen(plainKey)) !== n) throw new Error('plain XADD lost entries');
      console.error(
        `round ${round}: dedup ${Math.round(dedupRates.at(-1)!)} events/s, plain XADD ${Math.round(plainRates.at(-1)!)} events/s`,
      );
    } finally {
      await env.cleanup();
    }
  }
  const {
    measured: dedup,
    baseline: plain,
    ratio,
  } = compareRates(
    'dedup publish (Bloom + exact + XADD, atomic)',
    dedupRates,
    'plain pipelined XADD',
    plainRates,
    'ratio dedup / plain',
  );
  console.log(
    `${n} events, ${n - uniqueCount} duplicates dropped, ${falsePositives} Bloom false positives let through; goal ratio ≥ 0.9: ${ratio >= 0.9 ? 'met' : 'not met'}`,
  );
  if (values.json)
    console.log(
      JSON.stringify({
        bench: 'ingest',
        events: n,
        duplicates: n - uniqueCount,
        dedupEventsPerSec: dedup,
        plainEventsPerSec: plain,
        ratio,
        bloomFalsePositives: falsePositives,
        goalRatio: 0.9,
        goalMet: ratio >= 0.9,
      }),
    );
});
