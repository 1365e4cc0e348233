// `pnpm demo`: starts the local services, serves the weather fixture API, runs collect → bronze → silver → gold →
// PostgreSQL, starts the API in the background, and prints what each stage holds and where to look.
import { parseCommand, runMain } from '../core/cli.ts';
import type { ServiceName } from '../infra/local/index.ts';
import type { SourcePipeline } from '../pipeline/run-source.ts';

const { values } = parseCommand({
  usage: 'pnpm demo [--no-api]',
  summary:
    'Runs the weather pipeline end to end on local services (started if needed, reused if running):\n' +
    'fixture API → collector → Redis stream → bronze Parquet → silver → gold → PostgreSQL → REST API.\n' +
    'Idempotent: a second run collects only duplicates and changes no totals. Stop everything with `pnpm infra:down`.',
  options: { 'no-api': { type: 'boolean', description: 'Do not start the API in the background at the end' } },
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config, loadConfig, redactUrl } = await import('../core/config.ts');
const { withRuntime } = await import('../lake/runtime.ts');
const { servicesUp } = await import('../infra/local/index.ts');
const { FIXTURE_PATH, startWeatherFixtureServer } = await import('../ingest/sources/weather/fixtures/server.ts');
const { runSourcePipeline } = await import('../pipeline/run-source.ts');
const { printStageTotals, stageReporter } = await import('../pipeline/source-report.ts');
const { weatherSource } = await import('../ingest/sources/weather/source.ts');

const WEATHER: SourcePipeline = { source: weatherSource, silver: 'weather_observations', gold: 'weather_daily' };

runMain(async () => {
  const cfg = config();
  const services: ServiceName[] = ['redis', 'postgres', 's3'];
  console.log('Strata demo: weather observations, end to end\n\n1. Local services');
  await servicesUp(cfg, services, (s) => console.log(`   ${s.name.padEnd(9)} ${s.address.padEnd(16)} ${s.state}`));

  // An ephemeral port: the demo never collides with a fixture server a user started by hand.
  const fixtures = await startWeatherFixtureServer(0);
  let ok = true;
  try {
    await withRuntime(cfg, async (rt) => {
      const run = await runSourcePipeline(
        rt,
        WEATHER,
        fixtures.url,
        stageReporter(cfg, WEATHER, `${fixtures.url}${FIXTURE_PATH}`),
      );
      for (const l of run.loads)
        console.log(
          `   loaded ${l.target} into PostgreSQL: ${l.rowsOut} rows (${l.status}${l.error ? `: ${l.error}` : ''})`,
        );
      ok =
        run.ingest.status === 'succeeded' &&
        run.bronze.status === 'succeeded' &&
        [...run.silver, ...run.gold].every((r) => r.status === 'succeeded' || r.status === 'up to date') &&
        run.loads.every((l) => l.status === 'succeeded');

      await printStageTotals(rt, WEATHER);
    });
  } finally {
    await fixtures.close();
  }

  const api = `http://${cfg.api.host}:${cfg.api.port}`;
  if (!values['no-api']) {
    const [status] = await servicesUp(cfg, ['api']);
    const sample = (await (await fetch(`${api}/v1/tables/weather_daily?city=Paris&limit=1&count=exact`)).json()) as {
      total: number;
      rows: unknown[];
    };
    console.log(
      `\n7. API       ${api} (${status!.state}); GET /v1/tables/weather_daily?city=Paris → ${sample.total} rows, first: ${JSON.stringify(sample.rows[0])}`,
    );
  }
  // Local mode's default password is no secret (README gives it); a password of the user's own stays hidden.
  const ownDatabaseUrl = new URL(cfg.databaseUrl).password !== new URL(loadConfig({}).databaseUrl).password;
  const psql = `psql '${ownDatabaseUrl ? redactUrl(cfg.databaseUrl) : cfg.databaseUrl}' -c 'select * from gold.weather_daily limit 5'`;
  console.log(`
Where to look
   Dashboard    ${api}/
   API          curl '${api}/v1/tables/weather_daily?city=Paris'   (all endpoints: ${api}/docs)
   Lake         ${cfg.lakeUrl}
   SQL          pnpm sql -c "select * from gold.weather_daily where city = 'Paris' order by date"
   PostgreSQL   ${psql}${ownDatabaseUrl ? '   (the password is in your DATABASE_URL)' : ''}
   Dead letters pnpm sql -c "select reason, raw from bronze.weather__dead_letters limit 3"
   Stop         pnpm infra:down`);
  return ok ? 0 : 1;
});
