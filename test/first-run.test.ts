// README's two commands as a newcomer runs them: a fresh clone in a private folder (mode 0700, as `mktemp -d` or
// /root make it), `pnpm install`, `pnpm demo` with the figures the fixture implies, then `pnpm infra:down`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../core/config.ts';
import { isRoot } from '../core/os-packages.ts';
import { OUTSIDE_ROOT, sweepStaleHomes } from '../infra/local/postgres-home.ts';
import { freePort, isPortOpen } from '../infra/local/process.ts';
import { cloneInto, pnpm } from './support/clone.ts';
import { expectedWeather } from './support/weather-expected.ts';

/** Settings a developer's shell may hold; the clone must run on the defaults, except for its ports. */
const OWN_SETTINGS = /^(STRATA_|DATABASE_URL$|REDIS_URL$|S3_|LISTINGS_|WEATHER_|ODDS_|CRYPTO_|WEAPONS_)/;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const stage = (output: string, name: string) =>
  Number(new RegExp(`${escapeRegExp(name)}\\s+(\\d+)\\n`).exec(output)?.[1]);

describe('README quickstart from a fresh clone in a private folder', { timeout: 600_000 }, () => {
  const expected = expectedWeather({});
  let parent: string;
  let clone: string;
  let env: NodeJS.ProcessEnv;
  let ports: Record<'redis' | 'postgres' | 's3' | 'api', number>;
  let demo: { code: number | null; output: string };

  before(async () => {
    parent = mkdtempSync(path.join(os.tmpdir(), 'strata-clone-'));
    clone = path.join(parent, 'strata');
    cloneInto(clone);
    ports = { redis: await freePort(), postgres: await freePort(), s3: await freePort(), api: await freePort() };
    env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !OWN_SETTINGS.test(k))),
      REDIS_URL: `redis://127.0.0.1:${ports.redis}/0`,
      DATABASE_URL: `postgres://strata:strata@127.0.0.1:${ports.postgres}/strata`,
      S3_ENDPOINT: `http://127.0.0.1:${ports.s3}`,
      STRATA_API_PORT: String(ports.api),
    };
    const install = await pnpm(['install', '--frozen-lockfile', '--prefer-offline'], clone, env);
    assert.equal(install.code, 0, install.output);
    demo = await pnpm(['demo'], clone, env);
  });

  after(async () => {
    if (clone && existsSync(path.join(clone, 'node_modules'))) await pnpm(['infra:down'], clone, env);
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('starts in a folder only its owner can enter', () => {
    assert.equal(statSync(parent).mode & 0o777, 0o700);
  });

  it('runs pnpm demo through every stage with the figures the fixture implies', () => {
    assert.equal(demo.code, 0, demo.output);
    assert.deepEqual(
      {
        stream: stage(demo.output, 'stream strata:stream:weather (not yet in the lake)'),
        deadLetterStream: stage(demo.output, 'dead letters strata:dlq:weather (not yet in the lake)'),
        bronze: stage(demo.output, 'bronze.weather (lake)'),
        deadLetters: stage(demo.output, 'bronze.weather__dead_letters (lake)'),
        silver: stage(demo.output, 'silver.weather_observations (lake)'),
        quarantine: stage(demo.output, 'silver.weather_observations__quarantine (lake)'),
        goldLake: stage(demo.output, 'gold.weather_daily (lake)'),
        goldPostgres: stage(demo.output, 'gold.weather_daily (PostgreSQL)'),
      },
      {
        stream: 0,
        deadLetterStream: 0,
        bronze: expected.bronze,
        deadLetters: expected.deadLetters,
        silver: expected.silver,
        quarantine: expected.quarantine,
        goldLake: expected.daily.length,
        goldPostgres: expected.daily.length,
      },
    );
    assert.match(
      demo.output,
      new RegExp(
        `GET /v1/tables/weather_daily\\?city=Paris → ${expected.daily.filter((d) => d.city === 'Paris').length} rows`,
      ),
    );
  });

  it("keeps PostgreSQL's cluster where its user can reach it (as root: outside the private folder, linked from it)", () => {
    const cluster = path.join(clone, '.strata', 'postgres');
    if (!isRoot()) {
      assert.ok(lstatSync(cluster).isDirectory(), 'without root, the cluster stays in the data folder');
      return;
    }
    assert.ok(lstatSync(cluster).isSymbolicLink(), `${cluster} should link to the cluster`);
    const target = readlinkSync(cluster);
    assert.equal(path.dirname(path.dirname(target)), OUTSIDE_ROOT);
    const owner = spawnSync('stat', ['-c', '%U', target], { encoding: 'utf8' }).stdout.trim();
    assert.equal(owner, 'postgres');
    assert.equal(
      readFileSync(path.join(path.dirname(target), 'data-folder'), 'utf8').trim(),
      path.join(clone, '.strata'),
    );
    assert.match(readFileSync(path.join(clone, '.strata', 'logs', 'postgres.log'), 'utf8'), /database system is ready/);
  });

  it("prints only the weather pipeline's tables, and a psql line that works as printed", () => {
    const silverAndGold = [...demo.output.matchAll(/^ {3}((?:silver|gold)\.\w+)\s+(?:succeeded|up to date)/gm)].map(
      (m) => m[1],
    );
    assert.deepEqual(silverAndGold, ['silver.weather_observations', 'gold.weather_daily']);
    const psql = /psql '([^']+)'/.exec(demo.output)?.[1];
    assert.equal(psql, env.DATABASE_URL);
    const rows = spawnSync('psql', [psql!, '-Atc', 'select count(*) from gold.weather_daily'], { encoding: 'utf8' });
    assert.equal(rows.stdout.trim(), String(expected.daily.length), rows.stderr);
  });

  it('leaves nothing listening and no process running after pnpm infra:down', async () => {
    const runDir = path.join(clone, '.strata', 'run');
    const pidFiles = readdirSync(runDir).filter((f) => f.endsWith('.pid'));
    const pids = pidFiles.map((f) => Number(readFileSync(path.join(runDir, f), 'utf8').split('\n')[0]));
    const down = await pnpm(['infra:down'], clone, env);
    assert.equal(down.code, 0, down.output);
    assert.deepEqual(pidFiles.sort(), ['api.pid', 'postgres.pid', 'redis.pid', 's3.pid']);
    for (const [name, port] of Object.entries(ports))
      assert.equal(await isPortOpen('127.0.0.1', port), false, `${name} still listens on ${port}`);
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(alive, []);
  });

  it("removes PostgreSQL's cluster with the clone (as root: at the next start's sweep)", async () => {
    const cluster = path.join(clone, '.strata', 'postgres');
    const home = lstatSync(cluster).isSymbolicLink() ? path.dirname(readlinkSync(cluster)) : undefined;
    await pnpm(['infra:down'], clone, env); // already down, unless an earlier test failed before stopping it
    rmSync(parent, { recursive: true, force: true });
    if (home) assert.ok(sweepStaleHomes().includes(home), `${home} should be swept`);
    assert.equal(existsSync(home ?? cluster), false);
  });
});

describe("README's path past the demo", () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

  it('says, where it shows how to collect the other sources, that odds renders pages in Chromium and how it is installed', () => {
    const paragraph = readme.slice(readme.indexOf('pnpm ingest:run odds'), readme.indexOf('## Commands'));
    assert.match(paragraph, /Chromium \(Debian's\s+`chromium` package\): installed on first use when running as root/);
    assert.match(paragraph, /sudo apt-get update && sudo apt-get install -y chromium/);
  });

  it("serves the other sources' fixtures in the background, so the next command can run in the same terminal", () => {
    const paragraph = readme.slice(readme.indexOf('Four more example sources'), readme.indexOf('## Commands'));
    assert.match(paragraph, /pnpm infra:up --only fixtures/);
  });
});
