// `pnpm serve` and `pnpm fixtures:serve` next to `pnpm infra:*`: a taken port ends the command with the reason, and
// whatever Strata started, by hand or in the background, shows as ours and stops with `pnpm infra:down`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, readDotenv, type Config } from '../core/config.ts';
import { createPool } from '../core/postgres.ts';
import { openRuntime } from '../lake/runtime.ts';
import { SERVICE_NAMES, servicesDown, servicesStatus } from '../infra/local/index.ts';
import { freePort, isPortOpen, waitUntil } from '../infra/local/process.ts';
import { spawnCli, type Exit } from './support/cli.ts';
import { isolatedConfig } from './support/isolated.ts';
import { fixtureAddresses } from '../ingest/sources/index.ts';
import { settingEnvName } from '../ingest/source-settings.ts';

/** Waits for a command to end, failing the test (and killing it) if it is still running after the deadline. */
async function endsWithin(exited: Promise<Exit>, kill: () => void, deadlineMillis = 60_000): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      kill();
      reject(new Error(`still running after ${deadlineMillis / 1000} s`));
    }, deadlineMillis);
  });
  try {
    return await Promise.race([exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

const answers = async (url: string) => {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
};

describe('pnpm serve', { timeout: 180_000 }, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let config: Config;

  before(async () => {
    // A data folder of its own: the pid files written here never touch the shared one's.
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'strata-serve-'));
    env = { STRATA_DATA_DIR: dataDir, STRATA_API_PORT: String(await freePort()) };
    config = loadConfig({ ...readDotenv(), ...process.env, ...env });
    // The catalog (and its logs table) as any command creates it: the API only writes log lines into it.
    await (await openRuntime(config)).close();
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("exits 2 at once when Strata's API holds the port, naming it and both fixes; the one started by hand is ours and stops", async () => {
    const first = spawnCli('bin/serve.ts', [], env);
    try {
      await waitUntil(() => answers(`http://127.0.0.1:${config.api.port}/healthz`), 'the first pnpm serve', 60_000);
      const second = spawnCli('bin/serve.ts', [], env);
      const exit = await endsWithin(second.exited, () => second.child.kill('SIGKILL'));
      assert.equal(exit.code, 2, exit.output);
      assert.match(
        exit.output,
        new RegExp(
          `Cannot serve on 127\\.0\\.0\\.1:${config.api.port}: Strata's API already runs there \\(pid ${first.child.pid}\\); stop it with \`pnpm infra:down --only api\`, or set STRATA_API_PORT`,
        ),
      );

      const [status] = await servicesStatus(config, ['api']);
      assert.deepEqual([status!.state, status!.pid], ['running (ours)', first.child.pid]);
      const [down] = await servicesDown(config, ['api']);
      assert.equal(down!.state, 'stopped');
      const firstExit = await endsWithin(first.exited, () => first.child.kill('SIGKILL'));
      assert.equal(firstExit.code, 0, firstExit.output);
      assert.equal(await isPortOpen('127.0.0.1', config.api.port), false);
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('leaves the pid file to the API that holds it when a second API of the data folder serves another port', async () => {
    const first = spawnCli('bin/serve.ts', [], env);
    const otherEnv = { ...env, STRATA_API_PORT: String(await freePort()) };
    let other: ReturnType<typeof spawnCli> | undefined;
    try {
      await waitUntil(() => answers(`http://127.0.0.1:${config.api.port}/healthz`), 'the first pnpm serve', 60_000);
      other = spawnCli('bin/serve.ts', [], otherEnv);
      await waitUntil(
        () => answers(`http://127.0.0.1:${otherEnv.STRATA_API_PORT}/healthz`),
        'the second pnpm serve',
        60_000,
      );
      other.child.kill('SIGTERM');
      assert.equal((await endsWithin(other.exited, () => other!.child.kill('SIGKILL'))).code, 0);
      // The API logs its start and its stop into strata_catalog.logs, as every command does.
      const pool = createPool(config.databaseUrl, 1);
      try {
        const { rows } = await pool.query<{ message: string }>(
          "select message from strata_catalog.logs where command = 'serve' and at > now() - interval '5 minutes' order by id",
        );
        const mine = rows
          .map((r) => r.message)
          .filter((m) => m.includes(`:${otherEnv.STRATA_API_PORT}`) || m === 'API stopped');
        assert.ok(mine.includes(`API listening on http://127.0.0.1:${otherEnv.STRATA_API_PORT}`), JSON.stringify(mine));
        assert.ok(mine.includes('API stopped'), JSON.stringify(mine));
      } finally {
        await pool.end();
      }
      const [status] = await servicesStatus(config, ['api']);
      assert.deepEqual([status!.state, status!.pid], ['running (ours)', first.child.pid]);
      const [down] = await servicesDown(config, ['api']);
      assert.equal(down!.state, 'stopped');
      assert.equal((await endsWithin(first.exited, () => first.child.kill('SIGKILL'))).code, 0);
    } finally {
      first.child.kill('SIGKILL');
      other?.child.kill('SIGKILL');
    }
  });

  it('exits 2 at once when another program holds the port', async () => {
    const stranger = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => stranger.listen(config.api.port, '127.0.0.1', resolve));
    try {
      const serve = spawnCli('bin/serve.ts', [], env);
      const exit = await endsWithin(serve.exited, () => serve.child.kill('SIGKILL'));
      assert.equal(exit.code, 2, exit.output);
      assert.match(exit.output, /another program listens there, or set STRATA_API_PORT to a free port/);
    } finally {
      stranger.close();
    }
  });
});

describe('pnpm fixtures:serve', { timeout: 180_000 }, () => {
  // The URL setting of every source with a fixture, in the registry's order.
  const sources = fixtureAddresses({}).map((a) => settingEnvName(a.source, 'url'));
  let dataDir: string;
  let env: Record<string, string>;
  let config: Config;
  let dropDatabase: () => Promise<void>;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'strata-fixtures-'));
    // The listings fixture creates its legacy table: in a database of the test's own.
    const listings = await isolatedConfig();
    dropDatabase = listings.cleanup;
    env = { STRATA_DATA_DIR: dataDir, STRATA_SOURCE_LISTINGS_DATABASE_URL: listings.config.databaseUrl };
    for (const name of sources) env[name] = `http://127.0.0.1:${await freePort()}`;
    config = loadConfig({ ...readDotenv(), ...process.env, ...env });
  });
  after(async () => {
    await servicesDown(config, ['fixtures']);
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase();
  });

  const ports = () => sources.map((name) => Number(new URL(env[name]!).port));
  const allAnswer = async () => (await Promise.all(sources.map((name) => answers(env[name]!)))).every(Boolean);

  it("--source all listens on the ports of the sources' URL settings, shows as ours and stops with infra:down", async () => {
    const fixtures = spawnCli('bin/fixtures.ts', ['--source', 'all'], env);
    try {
      await waitUntil(allAnswer, `fixtures on ${ports().join(', ')}`, 60_000);
      const [status] = await servicesStatus(config, ['fixtures']);
      assert.deepEqual(
        [status!.state, status!.pid, status!.address],
        ['running (ours)', fixtures.child.pid, `127.0.0.1:${ports().join(',')}`],
      );

      // What `pnpm infra:down` does: every service, each stopped only if its pid file is Strata's.
      const statuses = await servicesDown(config, [...SERVICE_NAMES]);
      assert.equal(statuses.find((s) => s.name === 'fixtures')?.state, 'stopped');
      const exit = await endsWithin(fixtures.exited, () => fixtures.child.kill('SIGKILL'));
      assert.equal(exit.code, 0, exit.output);
      for (const port of ports()) assert.equal(await isPortOpen('127.0.0.1', port), false, `port ${port} still open`);
    } finally {
      fixtures.child.kill('SIGKILL');
    }
  });

  it('runs in the background with infra:up --only fixtures, until infra:down', async () => {
    const infraUp = spawnCli('bin/infra.ts', ['up', '--only', 'fixtures'], env);
    const upExit = await endsWithin(infraUp.exited, () => infraUp.child.kill('SIGKILL'));
    assert.equal(upExit.code, 0, upExit.output);
    assert.match(upExit.output, /fixtures: started on/);
    assert.ok(await allAnswer());
    const [up] = await servicesStatus(config, ['fixtures']);
    assert.equal(up!.state, 'running (ours)');
    const second = spawnCli('bin/fixtures.ts', ['--source', 'weather'], env);
    const exit = await endsWithin(second.exited, () => second.child.kill('SIGKILL'));
    assert.equal(exit.code, 2, exit.output);
    assert.match(
      exit.output,
      new RegExp(`Fixtures are already served by pid ${up!.pid}; stop them with \`pnpm infra:down --only fixtures\``),
    );
    const [down] = await servicesDown(config, ['fixtures']);
    assert.equal(down!.state, 'stopped');
    for (const port of ports()) assert.equal(await isPortOpen('127.0.0.1', port), false, `port ${port} still open`);
  });
});
