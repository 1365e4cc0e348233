// `pnpm bench:writers`: bronze throughput with 1, 2 and 4 writer processes (`pnpm bronze`, distinct consumers in the
// group) draining one stream on this machine; the baseline is one writer, measured in the same run. The scale path
// in docs/operations.md rests on it.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';
import { config, envFor, PROJECT_ROOT } from '../../core/config.ts';
import { sleep } from '../../core/retry.ts';
import { encodeEnvelope } from '../../streams/envelope.ts';
import { BRONZE_GROUP, streamKey } from '../../streams/keys.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { isolatedRuntime, type Isolated } from '../../infra/local/sandbox.ts';
import { makeEvents } from '../../test/support/synthetic-events.ts';
import { median } from './report.ts';
import { scriptArgs } from '../../core/modules.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:writers [--events <n>] [--writers <list>] [--rounds <n>] [--json]',
  summary:
    'Fills a stream with N envelopes, starts W bronze writer processes on it (one consumer group, distinct consumers),\n' +
    'releases the entries to all of them at once and times until every row is committed. Prints events/s for each W and\n' +
    'the ratio to one writer (the baseline, measured in the same run).',
  options: {
    events: { type: 'string', valueName: 'n', description: 'Events per measurement', default: '400000' },
    writers: {
      type: 'string',
      valueName: 'list',
      description: 'Writer counts to measure, comma-separated',
      default: '1,2,4',
    },
    rounds: {
      type: 'string',
      valueName: 'n',
      description: 'Rounds per writer count; the median is reported',
      default: '2',
    },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

const SOURCE = 'weather';

/** Starts a writer process and resolves once it follows the stream. */
function startWriter(env: Isolated, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...scriptArgs('bin/bronze.ts'), '--source', SOURCE, '--consumer', name], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...envFor(env.config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d;
      if (output.includes('following')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (output += d));
    child.once('exit', (code) =>
      reject(new Error(`writer ${name} exited (${code}) before following the stream:\n${output}`)),
    );
  });
}

/** One measurement: events/s for `writers` processes draining `events` entries into committed bronze files. */
async function measure(encoded: string[], writers: number): Promise<number> {
  const env = await isolatedRuntime('file');
  const children: ChildProcess[] = [];
  try {
    const redis = env.rt.redis();
    const key = streamKey(env.config.redisPrefix, SOURCE);
    // The entries wait behind the group's position ($) until every writer is up; then the position moves to the start.
    for (let i = 0; i < encoded.length - 1; i += 5000) {
      const pipeline = redis.pipeline();
      for (const e of encoded.slice(i, Math.min(i + 5000, encoded.length - 1))) pipeline.xadd(key, '*', 'envelope', e);
      await pipeline.exec();
    }
    await redis.xgroup('CREATE', key, BRONZE_GROUP, '$', 'MKSTREAM');
    // A group that has read nothing keeps the entries from being trimmed as "delivered" while they wait behind `$`.
    await redis.xgroup('CREATE', key, 'hold', '0');
    for (let w = 0; w < writers; w++) children.push(await startWriter(env, `writer-${w + 1}`));
    const t0 = performance.now();
    await redis.xgroup('SETID', key, BRONZE_GROUP, '0');
    await redis.xgroup('DESTROY', key, 'hold');
    // One more entry wakes the writers blocked on the stream at once, instead of at their next poll.
    await redis.xadd(key, '*', 'envelope', encoded.at(-1)!);
    while ((await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE })) < encoded.length) await sleep(50);
    const seconds = (performance.now() - t0) / 1000;
    const rows = await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE });
    if (rows !== encoded.length) throw new Error(`${rows} rows committed for ${encoded.length} events`);
    return encoded.length / seconds;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode !== null ? undefined : new Promise((resolve) => c.once('exit', resolve)))),
    );
    await env.cleanup();
  }
}

runMain(async () => {
  const n = Number(values.events);
  const rounds = Number(values.rounds);
  const counts = values.writers.split(',').map(Number);
  if (!counts.includes(1)) counts.unshift(1);
  await servicesUp(config(), ['redis', 'postgres']);
  const encoded = makeEvents(n, SOURCE).map(encodeEnvelope);
  const rates = new Map<number, number[]>(counts.map((c) => [c, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const writers of counts) {
      const rate = await measure(encoded, writers);
      rates.get(writers)!.push(rate);
      console.error(`round ${round}: ${writers} writer(s) ${Math.round(rate)} events/s`);
    }
  }
  const byCount = counts.map((writers) => ({ writers, eventsPerSec: Math.round(median(rates.get(writers)!)) }));
  const baseline = byCount[0]!.eventsPerSec;
  const results = byCount.map((r) => ({ ...r, ratio: Number((r.eventsPerSec / baseline).toFixed(3)) }));
  console.log(
    formatTable(
      ['writers', 'events/s (median)', 'ratio to 1 writer'],
      results.map((r) => [r.writers, r.eventsPerSec, r.ratio]),
    ),
  );
  console.log(`${n} events, ${rounds} round(s), ${os.cpus().length} CPU cores`);
  if (values.json)
    console.log(JSON.stringify({ bench: 'writers', events: n, rounds, cores: os.cpus().length, results }));
});
