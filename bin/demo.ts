// `pnpm demo`: starts the local services, serves the weather fixture API, runs collect → bronze → silver → gold →
// PostgreSQL, starts the API in the background, and prints what each stage holds and where to look.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config, loadConfig } from '../core/config.ts';
import { redact, withRuntime } from '../lake/runtime.ts';
import { deadLetterKey, streamKey } from '../streams/keys.ts';
import { servicesUp, type ServiceName } from '../infra/local/index.ts';
import { FIXTURE_PATH, startWeatherFixtureServer } from '../ingest/sources/weather/fixtures/server.ts';
import { jobSummary } from '../pipeline/summary.ts';
import { deadLetterReasons, runSourcePipeline, stageTotals, type SourcePipeline } from '../pipeline/run-source.ts';
import { weatherSource } from '../ingest/sources/weather/source.ts';

const WEATHER: SourcePipeline = { source: weatherSource, silver: 'weather_observations', gold: 'weather_daily' };

const { values } = parseCommand({
  usage: 'pnpm demo [--no-api]',
  summary:
    'Runs the weather pipeline end to end on local services (started if needed, reused if running):\n' +
    'fixture API → collector → Redis stream → bronze Parquet → silver → gold → PostgreSQL → REST API.\n' +
    'Idempotent: a second run collects only duplicates and changes no totals. Stop everything with `pnpm infra:down`.',
  options: { 'no-api': { type: 'boolean', description: 'Do not start the API in the background at the end' } },
});

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
      const run = await runSourcePipeline(rt, WEATHER, fixtures.url, {
        onCollected(r) {
          console.log(
            `\n2. Collect   ${fixtures.url}${FIXTURE_PATH} → Redis stream ${streamKey(cfg.redisPrefix, 'weather')}`,
          );
          console.log(
            `   ${r.collected} records: ${r.appended} new, ${r.duplicates} duplicates dropped, ${r.deadLettered} dead-lettered (${r.deadLetterDuplicates} already dead-lettered earlier)`,
          );
          if (r.error) console.log(`   error: ${r.error}`);
        },
        onBronze(r) {
          console.log(
            `\n3. Bronze    ${r.rowsWritten} events and ${r.deadLettersWritten} dead letters → ${r.filesWritten} Parquet files in ${cfg.lakeUrl}/bronze/ (committed entries leave Redis)`,
          );
          if (r.error) console.log(`   error: ${r.error}`);
        },
        onLayer(layer, results) {
          console.log(`\n${layer === 'silver' ? '4. Silver' : '5. Gold'}\n${indent(jobSummary(results))}`);
        },
      });
      for (const l of run.loads)
        console.log(
          `   loaded ${l.table} into PostgreSQL: ${l.rows} rows (${l.status}${l.error ? `: ${l.error}` : ''})`,
        );
      ok =
        run.ingest.status === 'succeeded' &&
        run.bronze.status === 'succeeded' &&
        [...run.silver, ...run.gold].every((r) => r.status === 'succeeded' || r.status === 'up to date') &&
        run.loads.every((l) => l.status === 'succeeded');

      const totals = await stageTotals(rt, WEATHER);
      const reasons = await deadLetterReasons(rt, 'weather');
      console.log('\n6. What each stage holds now (a second `pnpm demo` leaves these unchanged)');
      console.log(
        indent(
          formatTable(
            ['stage', 'rows'],
            [
              [`stream ${streamKey(cfg.redisPrefix, 'weather')} (not yet in the lake)`, totals.stream],
              [
                `dead letters ${deadLetterKey(cfg.redisPrefix, 'weather')} (not yet in the lake)`,
                totals.deadLetterStream,
              ],
              ['bronze.weather (lake)', totals.bronze],
              ['bronze.weather__dead_letters (lake)', totals.deadLetters],
              ['silver.weather_observations (lake)', totals.silver],
              ['silver.weather_observations__quarantine (lake)', totals.quarantine],
              ['gold.weather_daily (lake)', totals.goldLake],
              ['gold.weather_daily (PostgreSQL)', totals.goldPostgres],
            ],
          ),
        ),
      );
      console.log(
        `   dead-letter reasons: ${
          Object.entries(reasons)
            .map(([r, n]) => `${r} (${n})`)
            .join('; ') || 'none'
        }`,
      );
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
  const psql = `psql '${ownDatabaseUrl ? redact(cfg.databaseUrl) : cfg.databaseUrl}' -c 'select * from gold.weather_daily limit 5'`;
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

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');
}
