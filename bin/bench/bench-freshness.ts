// `pnpm bench:freshness`: how long a tick takes from collection to visibility through the API, at a steady rate. A
// fixture ticker serves <rate> coins, each with a new price every second; `pnpm stream` (its own process) collects,
// writes bronze, runs the streaming tables and updates PostgreSQL; `pnpm serve` (its own process) answers. This
// process notes when each second's ticks were first served (collected), and watches GET /v1/crypto, woken by the
// API's server-sent events: a coin's tick is visible once the API shows that coin's price at that tick or later.
// Baseline, measured in the same run: the time until the tick is in a committed bronze file (the 1 s flush floor).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';
import { config, envFor, PROJECT_ROOT } from '../../core/config.ts';
import { TerminalError } from '../../core/errors.ts';
import { Nap, sleep } from '../../core/retry.ts';
import { streamKey } from '../../streams/keys.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { freePort } from '../../infra/local/process.ts';
import { isolatedRuntime, type Isolated } from '../../infra/local/sandbox.ts';
import { startCryptoFixtureServer } from '../../ingest/sources/crypto/fixtures/server.ts';
import { quantile } from './report.ts';
import { scriptArgs } from '../../core/modules.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:freshness [--rate <events/s>] [--seconds <n>] [--warmup <n>] [--json]',
  summary:
    'Runs `pnpm stream` and `pnpm serve` against a fixture ticker of <rate> coins (one tick per coin and second), and measures\n' +
    'for every tick the time from its collection to its visibility through GET /v1/crypto: p50 and p95 (goal: p95 ≤ 5 s at\n' +
    '1,000 events/s). Baseline in the same run: collection to a committed bronze file. Prints both and their ratio.',
  options: {
    rate: {
      type: 'string',
      valueName: 'events/s',
      description: 'Coins in the ticker = events per second',
      default: '1000',
    },
    seconds: { type: 'string', valueName: 'n', description: 'Measured seconds of ticks', default: '60' },
    warmup: {
      type: 'string',
      valueName: 'n',
      description: 'Seconds before measuring (start-up, first loads)',
      default: '15',
    },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

const GOAL_P95_SECONDS = 5;

function startChild(script: string, env: Record<string, string>, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...scriptArgs(script), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[${path.basename(script)}] ${d}`));
  return child;
}

const waitFor = (child: ChildProcess, pattern: RegExp, what: string) =>
  new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) resolve(m[1] ?? m[0]);
    });
    child.once('exit', (code) => reject(new TerminalError(`${what} exited (${code}) before it was ready:\n${seen}`)));
  });

runMain(async () => {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  if (!(rate > 0 && seconds > 0 && warmup >= 0))
    throw new TerminalError('--rate, --seconds and --warmup must be positive numbers');
  await servicesUp(config(), ['redis', 'postgres']);
  const env: Isolated = await isolatedRuntime();
  const firstServed = new Map<number, number>(); // second → when its ticks were first collected
  const ticker = await startCryptoFixtureServer(0, '127.0.0.1', Date.now, {
    coins: rate,
    pageSize: rate,
    noise: 0,
    onServe: (second) => void (firstServed.has(second) || firstServed.set(second, Date.now())),
  });
  const childEnv = {
    ...envFor(env.config),
    STRATA_SOURCE_CRYPTO_URL: ticker.url,
    STRATA_API_PORT: String(await freePort()),
    STRATA_API_RATE_LIMIT: '0',
  };
  const stream = startChild('bin/stream.ts', childEnv, ['--status-seconds', '10']);
  stream.stdout!.on('data', (d) => process.stdout.write(`[stream] ${d}`));
  const server = startChild('bin/serve.ts', childEnv);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    stream.stdout!.removeAllListeners('data'); // the results are the last lines printed
    const exits = [stream, server]
      .filter((c) => c.exitCode === null)
      .map((c) => new Promise((resolve) => c.once('exit', resolve)));
    stream.kill('SIGINT');
    server.kill('SIGTERM');
    await Promise.race([Promise.all(exits), sleep(15_000)]);
    stream.kill('SIGKILL');
    server.kill('SIGKILL');
    await ticker.close();
    await env.cleanup();
  };
  try {
    const api = await waitFor(server, /API on (http:\/\/\S+)/, 'pnpm serve');
    console.log(
      `ticker: ${rate} coins at ${ticker.url}; API at ${api}; warming up ${warmup} s, then measuring ${seconds} s of ticks`,
    );
    const measureFrom = Math.floor(Date.now() / 1000) + warmup;
    const measureTo = measureFrom + seconds; // exclusive
    const inWindow = (second: number) => second >= measureFrom && second < measureTo;

    // API visibility: per coin, the newest tick time shown; each newly shown measured second is one event seen.
    const shown = new Map<string, number>();
    const apiLatencies: number[] = [];
    const poll = async () => {
      const response = await fetch(`${api}/v1/crypto`);
      if (!response.ok) return;
      const now = Date.now();
      const { coins } = (await response.json()) as { coins: { symbol: string; at: string }[] };
      for (const coin of coins) {
        const at = Math.floor(Date.parse(coin.at) / 1000);
        const before = shown.get(coin.symbol) ?? at - 1;
        if (at <= before) continue;
        shown.set(coin.symbol, at);
        for (let s = Math.max(before + 1, measureFrom); s <= Math.min(at, measureTo - 1); s++) {
          const collected = firstServed.get(s);
          if (collected !== undefined) apiLatencies.push(now - collected);
        }
      }
    };
    // Baseline: each measured second's ticks in a committed bronze file (catalog stats), polled every 100 ms.
    const bronzeLatencies: number[] = [];
    let bronzeUpTo = measureFrom - 1;
    const pollBronze = async () => {
      const { rows } = await env.rt.pool.query<{ hi: string | null }>(
        `select max((f.column_stats->'observed_at'->>'max')::timestamptz) as hi from strata_catalog.files f join strata_catalog.tables t using (table_id) where t.layer = 'bronze' and t.name = 'crypto'`,
      );
      const now = Date.now();
      const hi = rows[0]?.hi ? Math.floor(new Date(rows[0].hi).getTime() / 1000) : undefined;
      if (hi === undefined) return;
      for (let s = bronzeUpTo + 1; s <= Math.min(hi, measureTo - 1); s++) {
        const collected = firstServed.get(s);
        if (collected !== undefined) for (let i = 0; i < rate; i++) bronzeLatencies.push(now - collected);
      }
      bronzeUpTo = Math.max(bronzeUpTo, Math.min(hi, measureTo - 1));
    };

    // Woken by the API's live feed (each gold change in PostgreSQL), and at least every 250 ms.
    const events = await fetch(`${api}/v1/events?tables=crypto_ohlc_minute`);
    const nap = new Nap();
    void (async () => {
      for await (const _ of events.body!) nap.wake();
    })().catch(() => {});
    const streamLength = () => env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'crypto'));
    let lengthAtStart = 0;
    let lengthAtEnd: number | undefined;
    let startedCounting = false;
    const end = (measureTo + 20) * 1000; // 20 s of grace for the last ticks
    let lastBronze = 0;
    while (Date.now() < end) {
      if (!startedCounting && Date.now() >= measureFrom * 1000) {
        lengthAtStart = await streamLength();
        startedCounting = true;
      }
      if (lengthAtEnd === undefined && Date.now() >= measureTo * 1000) lengthAtEnd = await streamLength();
      await poll().catch(() => {});
      if (Date.now() - lastBronze >= 100) {
        lastBronze = Date.now();
        await pollBronze().catch(() => {});
      }
      const done =
        bronzeUpTo >= measureTo - 1 &&
        [...shown.values()].length === rate &&
        [...shown.values()].every((s) => s >= measureTo - 1);
      if (done && Date.now() > measureTo * 1000) break;
      await nap.sleep(100);
    }
    const collectedSeconds = [...firstServed.keys()].filter(inWindow).length;
    const expected = collectedSeconds * rate;
    const unseen = expected - apiLatencies.length;
    const eventsPerSecond = Math.round(((lengthAtEnd ?? (await streamLength())) - lengthAtStart) / seconds);
    await events.body?.cancel().catch(() => {});
    await stop();

    const s = (ms: number) => Number((ms / 1000).toFixed(2));
    const figures = {
      rate,
      seconds,
      eventsMeasured: apiLatencies.length,
      eventsExpected: expected,
      eventsNeverVisible: unseen,
      eventsPerSecondIntoRedis: eventsPerSecond,
      apiP50Seconds: s(quantile(apiLatencies, 0.5)),
      apiP95Seconds: s(quantile(apiLatencies, 0.95)),
      apiMaxSeconds: s(Math.max(...apiLatencies)),
      bronzeP50Seconds: s(quantile(bronzeLatencies, 0.5)),
      bronzeP95Seconds: s(quantile(bronzeLatencies, 0.95)),
    };
    const ratio = Number((figures.apiP95Seconds / figures.bronzeP95Seconds).toFixed(2));
    console.log(
      `\n${formatTable(
        ['stage', 'p50 (s)', 'p95 (s)', 'events'],
        [
          [
            'collection → committed in bronze (baseline)',
            figures.bronzeP50Seconds,
            figures.bronzeP95Seconds,
            bronzeLatencies.length,
          ],
          ['collection → visible through the API', figures.apiP50Seconds, figures.apiP95Seconds, apiLatencies.length],
        ],
      )}`,
    );
    console.log(
      `\np95 API / p95 bronze: ${ratio}×; ${figures.eventsPerSecondIntoRedis} events/s reached the stream; ${unseen} of ${expected} measured events never became visible.`,
    );
    const ok = figures.apiP95Seconds <= GOAL_P95_SECONDS && unseen === 0;
    console.log(
      `goal: p95 ≤ ${GOAL_P95_SECONDS} s at ${rate} events/s, every event visible: ${ok ? 'met' : 'NOT met'}`,
    );
    if (values.json)
      console.log(
        JSON.stringify({
          bench: 'freshness',
          ...figures,
          ratioApiToBronzeP95: ratio,
          goalP95Seconds: GOAL_P95_SECONDS,
          goalMet: ok,
        }),
      );
    return ok ? 0 : 1;
  } finally {
    await stop();
  }
});
