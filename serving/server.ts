// The API and dashboard as one running server: connections (PostgreSQL pool, Redis, the LISTEN feed), the admin
// actions, the Hono app on @hono/node-server, and an orderly stop.
import { keyRingOf } from '../core/keys.ts';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import type { Config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { attachLogSink, LogSink, logLine } from '../core/log.ts';
import { createPool } from '../core/postgres.ts';
import { isPortOpen, livePid } from '../infra/local/process.ts';
import { pidFileOf } from '../infra/local/service.ts';
import { openStore } from '../lake/storage/index.ts';
import { adminActions } from './admin-actions.ts';
import { createApp } from './app.ts';
import { LiveFeed } from './live-feed.ts';
import { MAX_URL_BYTES } from './schemas.ts';

export interface RunningServer {
  address: string;
  /** Stops accepting, gives answers in flight a second, then closes every connection and the server's own. */
  stop(): Promise<void>;
}

/** Starts the server on STRATA_API_HOST:STRATA_API_PORT; a taken port is a TerminalError naming who holds it. */
export async function startServer(cfg: Config): Promise<RunningServer> {
  const address = `${cfg.api.host}:${cfg.api.port}`;
  // Checked before anything opens a connection: a second `pnpm serve` says who holds the port and exits.
  if (await isPortOpen(cfg.api.host, cfg.api.port)) throw portTaken(cfg, address);
  const seconds = cfg.api.statementTimeoutSeconds * 1000;
  // Requests share one pool whose statements and transactions are bounded in time; exports hold a connection for as
  // long as they stream, so they get a pool of their own: unread exports can never starve the rest of the API.
  const pool = createPool(cfg.databaseUrl, 10, { statementTimeoutMillis: seconds, idleInTransactionMillis: seconds });
  const exportPool = createPool(cfg.databaseUrl, cfg.api.maxExports, {
    idleInTransactionMillis: 2 * cfg.api.exportStallSeconds * 1000,
    connectionTimeoutMillis: 5000,
  });
  const redis = new Redis(cfg.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // /readyz reports Redis; the API keeps serving without it
  const live = new LiveFeed(cfg.databaseUrl);
  const admin = adminActions(cfg, pool);
  // Log lines (start, stop, internal errors) go to the catalog's logs as the writing role: the API's own only reads.
  const logPool = createPool(cfg.adminDatabaseUrl, 1, { connectionTimeoutMillis: 2000 });
  logPool.on('error', () => {});
  const logs = new LogSink(logPool, {
    command: 'serve',
    fallbackFile: path.join(cfg.dataDir, 'logs', 'serve.log'),
    retentionDays: cfg.logRetentionDays,
  });
  const detachLogs = attachLogSink(logs);
  const close = async () => {
    await live.stop();
    await admin.close();
    await pool.end();
    await exportPool.end();
    redis.disconnect();
    detachLogs();
    await logs.close();
    await logPool.end();
  };
  let server: ReturnType<typeof serve>;
  try {
    await live.start();
    const app = createApp({
      pool,
      exportPool,
      redis,
      store: openStore(cfg),
      redisPrefix: cfg.redisPrefix,
      settings: cfg.api,
      admin,
      live,
      keyRing: keyRingOf(cfg),
      s3: cfg.s3,
    });
    server = serveApp(app, cfg.api.host, cfg.api.port);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    logLine('info', `API listening on http://${address}`, {
      details: { read: cfg.api.read, keys: cfg.api.keys.length },
    });
  } catch (error) {
    await close();
    // Another server took the port between the check and the listen.
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portTaken(cfg, address);
    throw error;
  }
  return {
    address,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Live event streams never end on their own: give answers in flight a second, then close what is left.
        setTimeout(() => (server as unknown as { closeAllConnections(): void }).closeAllConnections(), 1000).unref();
      });
      logLine('info', 'API stopped');
      await close();
    },
  };
}

/**
 * Serves the app on @hono/node-server with Node's own refusals in the API's shape: a request whose first line or
 * headers pass Node's 16 KB limit gets a JSON 414 (a URL that long) or 431 (headers), not an empty answer.
 */
export function serveApp(
  app: { fetch: (request: Request, env: never) => Response | Promise<Response> },
  hostname: string,
  port: number,
) {
  const server = serve({ fetch: app.fetch as never, hostname, port });
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code !== 'HPE_HEADER_OVERFLOW' || !socket.writable) return void socket.destroy();
    const firstLine = error.rawPacket?.subarray(0, MAX_URL_BYTES * 2).indexOf('\r\n') ?? -1;
    const [status, reason, code, message] =
      firstLine === -1 || firstLine > MAX_URL_BYTES
        ? [
            414,
            'URI Too Long',
            'uri_too_long',
            `the URL is longer than ${MAX_URL_BYTES} bytes; use fewer or shorter filters`,
          ]
        : [431, 'Request Header Fields Too Large', 'headers_too_large', 'the request headers are larger than 16 KB'];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

/** The error for a taken port: Strata's own API (and how to stop it) or another program. */
function portTaken(cfg: Config, address: string): TerminalError {
  const pid = livePid(pidFileOf(cfg, 'api'));
  const holder = pid
    ? `Strata's API already runs there (pid ${pid}); stop it with \`pnpm infra:down --only api\``
    : 'another program listens there';
  return new TerminalError(`Cannot serve on ${address}: ${holder}, or set STRATA_API_PORT to a free port.`);
}
