// The Strata API as a background service of local mode, so `pnpm demo` can end while the API keeps serving.
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../../core/config.ts';
import { spawnDetached, waitUntil } from './process.ts';
import { logDir, pidFileOf, type LocalService } from './service.ts';
import { scriptArgs } from '../../core/modules.ts';

async function answersHealthz(base: string): Promise<boolean> {
  try {
    const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1500) });
    return response.ok && ((await response.json()) as { service?: string }).service === 'strata';
  } catch {
    return false;
  }
}

export function apiService(config: Config): LocalService {
  const { host, port } = config.api;
  const base = `http://${host}:${port}`;
  return {
    name: 'api',
    host,
    port,
    isHealthy: () => answersHealthz(base),
    async start() {
      spawnDetached(process.execPath, scriptArgs('bin/serve.ts'), {
        cwd: PROJECT_ROOT,
        env: process.env,
        logFile: path.join(logDir(config), 'api.log'),
        pidFile: pidFileOf(config, 'api'),
      });
      await waitUntil(() => answersHealthz(base), `the API on ${base} (log: ${path.join(logDir(config), 'api.log')})`);
    },
  };
}
