// The sources' fixtures (`pnpm fixtures:serve --source all`) as a background service of local mode, so that
// `pnpm infra:up --only fixtures` serves them without a terminal of their own and `pnpm infra:down` stops them.
import path from 'node:path';
import { envOf, PROJECT_ROOT, type Config } from '../../core/config.ts';
import { fixtureAddresses } from '../../ingest/sources/index.ts';
import { isPortOpen, spawnDetached, waitUntil } from './process.ts';
import { logDir, pidFileOf, type LocalService } from './service.ts';
import { scriptArgs } from '../../core/modules.ts';

/** Answers any HTTP request (a fixture answers 404 outside its paths). */
async function answersHttp(base: string): Promise<boolean> {
  try {
    await (await fetch(base, { signal: AbortSignal.timeout(1500) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export function fixturesService(config: Config): LocalService {
  const urls = fixtureAddresses(envOf(config)).map((a) => a.url);
  const first = urls[0] ?? new URL('http://127.0.0.1:8788');
  const host = first.hostname;
  const port = Number(first.port || 80);
  const allListening = async () =>
    (await Promise.all(urls.map((u) => isPortOpen(u.hostname, Number(u.port || 80))))).every(Boolean);
  return {
    name: 'fixtures',
    host,
    port,
    label: urls.map((u) => u.port).join(','),
    isHealthy: async () => urls.length === 0 || answersHttp(first.origin),
    async start() {
      if (urls.length === 0) return; // no source has a fixture
      const logFile = path.join(logDir(config), 'fixtures.log');
      spawnDetached(process.execPath, [...scriptArgs('bin/fixtures.ts'), '--source', 'all'], {
        cwd: PROJECT_ROOT,
        env: process.env,
        logFile,
        pidFile: pidFileOf(config, 'fixtures'),
      });
      await waitUntil(
        allListening,
        `the fixtures on ${host} ports ${urls.map((u) => u.port).join(', ')} (log: ${logFile})`,
      );
    },
  };
}
