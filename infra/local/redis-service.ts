// Redis in local mode: the OS redis-server binary, AOF on, data under <data dir>/redis.
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../../core/config.ts';
import { ensureOsPackages, findBinary } from '../../core/os-packages.ts';
import { spawnDetached, waitUntil } from './process.ts';
import { logDir, pidFileOf, type LocalService } from './service.ts';

/** Sends PING on a raw socket: true when the answer is +PONG (or NOAUTH, which is still Redis). */
function ping(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      answer += data.toString();
      if (answer.includes('\r\n')) done(/^(\+PONG|-NOAUTH)/.test(answer));
    });
  });
}

export function redisService(config: Config): LocalService {
  const url = new URL(config.redisUrl);
  const host = url.hostname;
  const port = Number(url.port || 6379);
  return {
    name: 'redis',
    host,
    port,
    isHealthy: () => ping(host, port),
    async start() {
      if (!findBinary('redis-server')) ensureOsPackages(['redis-server'], 'Redis (redis-server)');
      const dir = path.join(config.dataDir, 'redis');
      mkdirSync(dir, { recursive: true });
      // AOF with fsync every second: a crash loses at most ~1 s of stream writes (DESIGN.md measures its cost: ≈ 18 %).
      spawnDetached(
        findBinary('redis-server')!,
        [
          '--bind',
          host,
          '--port',
          String(port),
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--save',
          '',
          // Never evict (stream entries and dedup keys are data); Strata's writers check it too (streams/eviction.ts).
          '--maxmemory-policy',
          'noeviction',
          '--daemonize',
          'no',
        ],
        { logFile: path.join(logDir(config), 'redis.log'), pidFile: pidFileOf(config, 'redis') },
      );
      await waitUntil(
        () => ping(host, port),
        `Redis on ${host}:${port} (log: ${path.join(logDir(config), 'redis.log')})`,
      );
    },
  };
}
