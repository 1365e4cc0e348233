// One side of `pnpm bench:api`, in its own process: `strata` serves the Strata app (every middleware on: metrics,
// URL limit, rate limit set too high to trip, catalog lookup, cursor paging); `bare` is node:http + pg running the
// SQL the app sends for the same request, given in STRATA_BENCH_SQL. Prints "listening <port>" when ready.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { config } from '../../core/config.ts';
import { createPool } from '../../core/postgres.ts';
import { createApp } from '../../serving/app.ts';

const POOL_SIZE = 10;
const mode = process.argv[2];
const cfg = config();
const pool = createPool(cfg.databaseUrl, POOL_SIZE);

function listening(server: http.Server) {
  server.once('listening', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
}

if (mode === 'strata') {
  const app = createApp({ pool, redisPrefix: cfg.redisPrefix, settings: { rateLimitPerMinute: 1_000_000_000 } });
  listening(serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as http.Server);
} else if (mode === 'bare') {
  const sql = process.env.STRATA_BENCH_SQL!;
  const fields = JSON.parse(process.env.STRATA_BENCH_FIELDS!) as string[];
  const limit = Number(process.env.STRATA_BENCH_LIMIT);
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url!, 'http://x');
      const { rows } = await pool.query(sql, [url.searchParams.get('city')]);
      const page = rows.slice(0, limit).map((r) => Object.fromEntries(fields.map((f) => [f, r[f]])));
      const last = rows.length > limit ? rows[limit - 1] : undefined;
      const nextCursor = last
        ? Buffer.from(
            JSON.stringify({
              o: '-date',
              // The sort key, then the primary key's other columns: every __strata_key_<i> the query selected.
              k: Object.keys(last)
                .filter((k) => k.startsWith('__strata_key_'))
                .map((k) => last[k]),
            }),
          ).toString('base64url')
        : null;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          table: 'weather_daily',
          limit,
          rows: page,
          nextCursor,
          next: nextCursor && `${url.pathname}${url.search}&cursor=${nextCursor}`,
        }),
      );
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  listening(server);
  server.listen(0, '127.0.0.1');
} else {
  console.error('usage: bench-api-server.ts strata|bare');
  process.exit(2);
}
