// "Your own data in five minutes", as the README gives it: every command between its tutorial markers, run as
// written (on isolated services and an API on a free port, the only change), and the figures the README states.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { envFor, PROJECT_ROOT } from '../core/config.ts';
import { freePort, waitUntil } from '../infra/local/process.ts';
import { spawnCli, spawnCommand, type Exit } from './support/cli.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

/** The commands of the README's tutorial block, one a line. */
export function tutorialCommands(readme: string): string[] {
  const block = /<!-- tutorial:start -->\n```bash\n([\s\S]*?)```\n<!-- tutorial:end -->/.exec(readme);
  if (!block)
    throw new Error('README.md has no tutorial block between <!-- tutorial:start --> and <!-- tutorial:end -->');
  return block[1]!.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
}

/** Runs one line in a shell, as a user's terminal would. */
const shell = (line: string, env: Record<string, string>): Promise<Exit> =>
  spawnCommand('bash', ['-c', line], env).exited;

describe('the README tutorial, run as written', { timeout: 600_000 }, () => {
  let env: Isolated;
  let dir: string;
  let childEnv: Record<string, string>;
  let serve: ReturnType<typeof spawnCli>;
  let port: number;
  before(async () => {
    env = await isolatedRuntime();
    dir = mkdtempSync(path.join(os.tmpdir(), 'tutorial-'));
    port = await freePort();
    childEnv = {
      ...envFor(env.config),
      STRATA_FILE_SOURCES: path.join(dir, 'file-sources.json'),
      STRATA_DATA_DIR: dir,
      STRATA_API_PORT: String(port),
    };
    serve = spawnCli('bin/serve.ts', [], childEnv);
    await waitUntil(
      () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      'pnpm serve',
      60_000,
    );
  });
  after(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.exited;
    await env?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the sample CSV to silver.bike_trips, pnpm sql, the API and the dashboard with the figures it states', async () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const commands = tutorialCommands(readme);
    assert.equal(commands.length, 5, commands.join('\n'));
    const outputs: string[] = [];
    for (const command of commands) {
      // The API of this test listens on a free port, not on the README's 8787.
      const line = command.replace('127.0.0.1:8787', `127.0.0.1:${port}`);
      const exit = await shell(line, childEnv);
      assert.equal(exit.code, 0, `${line}\n${exit.output}`);
      outputs.push(exit.output);
    }
    const [ingest, , silver, sql, lake] = outputs as [string, string, string, string, string];
    assert.match(
      ingest,
      /declared source bike_trips in .*: csv, 8 columns \(trip_id BIGINT, started_at TIMESTAMP, ended_at TIMESTAMP, start_station VARCHAR, end_station VARCHAR, duration_min BIGINT, member BOOLEAN, bike_type VARCHAR\)/,
    );
    assert.match(ingest, /bike-trips\.csv: 1003 rows read: 1003 published, 0 duplicate, 0 dead-lettered/);
    assert.ok(readme.includes('`1003 rows read: 1003 published, 0 duplicate, 0 dead-lettered`'));
    assert.match(silver, /silver\.bike_trips\s+succeeded\s+1\s+1003\s+1003\s+0/);
    assert.match(sql, /trips +minutes +ids *\n[─ ]+\n1003 +29347 +1000 *\n/);
    assert.ok(readme.includes('`1003 trips, 29347 minutes, 1000 ids`'));
    const { table } = JSON.parse(lake) as { table: { layer: string; name: string; rows: number; files: number } };
    assert.deepEqual([table.layer, table.name, table.rows, table.files], ['silver', 'bike_trips', 1003, 1]);

    const again = await shell(commands[0]!, childEnv);
    assert.match(again.output, /bike-trips\.csv: 1003 rows read: 0 published, 1003 duplicate, 0 dead-lettered/);
    const dashboard = await fetch(`http://127.0.0.1:${port}/lake`);
    assert.equal(dashboard.status, 200);
    const listed = (await (await fetch(`http://127.0.0.1:${port}/v1/lake?layer=silver`)).json()) as {
      tables: { name: string; rows: number }[];
    };
    assert.deepEqual(
      listed.tables.filter((t) => t.name === 'bike_trips').map((t) => t.rows),
      [1003],
    );
  });
});
