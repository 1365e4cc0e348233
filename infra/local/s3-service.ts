// The S3-compatible server of local mode (s3rver from npm), for the s3:// lake backend and its tests.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../../core/config.ts';
import { spawnDetached, waitUntil } from './process.ts';
import { logDir, pidFileOf, type LocalService } from './service.ts';
import { scriptArgs } from '../../core/modules.ts';

/** The bucket local mode creates at start; an s3:// lake URL may name any other bucket (created on first use). */
export const LOCAL_BUCKET = 'strata';

async function answersS3(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(1500) });
    const body = await response.text();
    return body.includes('ListAllMyBucketsResult') || body.includes('<Error>');
  } catch {
    return false;
  }
}

export function s3Service(config: Config): LocalService {
  const url = new URL(config.s3.endpoint);
  const host = url.hostname;
  const port = Number(url.port || 80);
  return {
    name: 's3',
    host,
    port,
    isHealthy: () => answersS3(config.s3.endpoint),
    async start() {
      const directory = path.join(config.dataDir, 's3');
      mkdirSync(directory, { recursive: true });
      spawnDetached(
        process.execPath,
        [...scriptArgs('infra/local/s3-server.ts'), directory, host, String(port), LOCAL_BUCKET],
        {
          cwd: PROJECT_ROOT,
          env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
          logFile: path.join(logDir(config), 's3.log'),
          pidFile: pidFileOf(config, 's3'),
        },
      );
      await waitUntil(
        () => answersS3(config.s3.endpoint),
        `the S3 server on ${host}:${port} (log: ${path.join(logDir(config), 's3.log')})`,
      );
    },
  };
}
