// `pnpm bench:api`: req/s and p99 latency of a paginated gold query (GET /v1/tables/weather_daily?city=…&order=-date
// &limit=50) served by the Strata app, next to a bare node:http + pg server running the same SQL, in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';
import { config, PROJECT_ROOT } from '../../core/config.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { isolatedRuntime, type Isolated } from '../../infra/local/sandbox.ts';
import { runBatch } from '../../pipeline/run-batch.ts';
import { GoldCatalog } from '../../serving/gold-catalog.ts';
import { buildTableQuery } from '../../serving/table-query.ts';
import { drainSource } from '../../bronze/bronze-writer.ts';
import { eventIdOf } from '../../streams/envelope.ts';
import { StreamPublisher } from '../../streams/publisher.ts';
import { median } from './report.ts';
import { scriptArgs } from '../../core/modules.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:api [--cities <n>] [--days <n>] [--seconds <n>] [--connections <n>] [--rounds <n>] [--json]',
  summary:
    'Loads weather for N cities × D days through bronze, silver and gold into PostgreSQL, then drives two servers, each in its\n' +
    'own process with a pool of 10 connections, with autocannon: the Strata app (every middleware on) and a bare node:http + pg\n' +
    "server running the SQL the app sends. Both answer the first 50-row page of one city's days, newest first, with a cursor.\n" +
    'Reports req/s and p99 of each, and the ratios (goal: ≥ 0.8× the bare req/s at ≤ 1.5× its p99).',
  options: {
    cities: {
      type: 'string',
      valueName: 'n',
      description: 'Cities (the query picks one per request, in turn)',
      default: '40',
    },
    days: {
      type: 'string',
      valueName: 'n',
      description: 'Days per city (rows per city in gold.weather_daily)',
      default: '250',
    },
    seconds: { type: 'string', valueName: 'n', description: 'Load duration per side and round', default: '10' },
    connections: { type: 'string', valueName: 'n', description: 'Concurrent connections', default: '20' },
    rounds: {
      type: 'string',
      valueName: 'n',
      description: 'Rounds (sides alternate first); medians are reported',
      default: '3',
    },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

const LIMIT = 50;

/** Publishes N cities × D days of weather readings as collectors would, drains them into bronze, and runs silver + gold. */
async function loadWeather(env: Isolated, cities: number, days: number): Promise<void> {
  const events = [];
  for (let c = 0; c < cities; c++) {
    for (let d = 0; d < days; d++) {
      const observedAt = new Date(Date.UTC(2026, 0, 1) + d * 86_400_000 + 12 * 3_600_000)
        .toISOString()
        .replace('.000', '');
      const key = `S${c}|${observedAt}`;
      const payload = JSON.stringify({
        station_id: `S${c}`,
        city: `City${c}`,
        country: 'EU',
        observed_at: observedAt,
        updated_at: observedAt,
        temperature_c: (c + d) % 30,
        humidity_pct: 50,
        wind_kph: 5,
        precipitation_mm: 0,
      });
      events.push({
        source: 'weather',
        event_id: eventIdOf('weather', key, payload),
        natural_key: key,
        observed_at: observedAt,
        ingested_at: observedAt,
        schema_version: 1,
        run_id: 'bench-api',
        payload,
      });
    }
  }
  await StreamPublisher.fromConfig(env.rt.redis(), env.config).publish('weather', events);
  await drainSource(env.rt, 'weather');
  await runBatch(env.rt, { layers: ['silver'], select: ['weather_observations+'] });
}

async function start(
  mode: 'strata' | 'bare',
  env: Isolated,
  extra: Record<string, string>,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...scriptArgs('bin/bench/bench-api-server.ts'), mode], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: env.config.databaseUrl,
      STRATA_REDIS_PREFIX: env.config.redisPrefix,
      STRATA_LAKE_URL: env.config.lakeUrl,
      ...extra,
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on(
      'line',
      (line) => line.startsWith('listening ') && resolve(Number(line.slice(10))),
    );
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { child, port };
}

async function drive(port: number, cities: number, seconds: number, connections: number) {
  let i = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({
          ...req,
          path: `/v1/tables/weather_daily?city=City${i++ % cities}&order=-date&limit=${LIMIT}`,
        }),
      },
    ],
  });
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99, requests: result.requests.total };
}

runMain(async () => {
  const cities = Number(values.cities);
  const days = Number(values.days);
  await servicesUp(config(), ['redis', 'postgres']);
  const env = await isolatedRuntime('file');
  const children: ChildProcess[] = [];
  try {
    console.log(`Loading ${cities} cities × ${days} days into gold.weather_daily…`);
    await loadWeather(env, cities, days);
    const table = (await new GoldCatalog(env.rt.pool).table('weather_daily'))!;
    const query = buildTableQuery(table, [
      ['city', 'City0'],
      ['order', '-date'],
      ['limit', String(LIMIT)],
    ]);
    const strata = await start('strata', env, {});
    const bare = await start('bare', env, {
      STRATA_BENCH_SQL: query.sql,
      STRATA_BENCH_FIELDS: JSON.stringify(query.fields),
      STRATA_BENCH_LIMIT: String(LIMIT),
    });
    children.push(strata.child, bare.child);
    // Both answer the same page.
    const [a, b] = await Promise.all(
      [strata.port, bare.port].map(async (p) =>
        (await fetch(`http://127.0.0.1:${p}/v1/tables/weather_daily?city=City3&order=-date&limit=${LIMIT}`)).json(),
      ),
    );
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('the two servers answer differently');
    const seconds = Number(values.seconds);
    const connections = Number(values.connections);
    await drive(strata.port, cities, 1, connections); // warm both up (JIT, pools, caches)
    await drive(bare.port, cities, 1, connections);
    const runs: Record<'strata' | 'bare', { rps: number; p99: number }[]> = { strata: [], bare: [] };
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const side of round % 2 ? (['strata', 'bare'] as const) : (['bare', 'strata'] as const)) {
        const r = await drive(side === 'strata' ? strata.port : bare.port, cities, seconds, connections);
        runs[side].push(r);
        console.log(`round ${round + 1} ${side.padEnd(6)} ${Math.round(r.rps)} req/s, p99 ${r.p99} ms`);
      }
    }
    const rps = (side: 'strata' | 'bare') => Math.round(median(runs[side].map((r) => r.rps)));
    const p99 = (side: 'strata' | 'bare') => median(runs[side].map((r) => r.p99));
    const rpsRatio = Number((rps('strata') / rps('bare')).toFixed(3));
    // autocannon reports whole milliseconds: a ratio of two zeros means nothing, so it is left out (null).
    const p99Ratio = p99('bare') > 0 ? Number((p99('strata') / p99('bare')).toFixed(3)) : null;
    console.log(
      formatTable(
        ['server', 'req/s (median)', 'p99 ms (median)'],
        [
          ['Strata app (Hono)', rps('strata'), p99('strata')],
          ['bare node:http + pg', rps('bare'), p99('bare')],
          ['ratio', rpsRatio, p99Ratio ?? '—'],
        ],
      ),
    );
    console.log(
      `Goal: req/s ratio ≥ 0.8 (${rpsRatio >= 0.8 ? 'met' : 'missed'}), p99 ratio ≤ 1.5 (${p99Ratio === null ? 'not measurable: p99 under 1 ms' : p99Ratio <= 1.5 ? 'met' : 'missed'}).`,
    );
    if (values.json) {
      console.log(
        JSON.stringify({
          bench: 'api',
          rows: cities * days,
          connections,
          seconds,
          rounds: Number(values.rounds),
          strataRps: rps('strata'),
          bareRps: rps('bare'),
          rpsRatio,
          strataP99Ms: p99('strata'),
          bareP99Ms: p99('bare'),
          p99Ratio,
        }),
      );
    }
  } finally {
    for (const child of children) child.kill();
    await env.cleanup();
  }
});
