// The dashboard at /: one server-rendered shell per page (pipeline health, each pipeline's page found in
// serving/pipelines/, a page for any gold table, the lake browser) and static scripts that draw the page from the API.
// Nothing is loaded from another origin: the charting library is served from node_modules (decision 0034).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Context, Hono } from 'hono';
import { sourceDir } from '../../core/modules.ts';
import { escapeHtml } from '../html.ts';
import { PIPELINE_PAGES } from '../pipelines/index.ts';
import { secureHeaders } from 'hono/secure-headers';

interface Page {
  path: string;
  id: string;
  title: string;
}

/** The dashboard's pages: its own two around the pipelines' pages. */
export const PAGES: readonly Page[] = [
  { path: '/', id: 'health', title: 'Pipeline health' },
  ...PIPELINE_PAGES.map((p) => ({ path: `/${p.id}`, id: p.id, title: p.title })),
  { path: '/tables', id: 'tables', title: 'Gold tables' },
  { path: '/lake', id: 'lake', title: 'Lake' },
];

/** Apache ECharts' ES module build, as its package ships it. */
const ECHARTS = path.join(path.dirname(createRequire(import.meta.url).resolve('echarts')), 'echarts.esm.min.mjs');

const ASSETS: Record<string, string> = {
  'dashboard.js': 'text/javascript',
  'kit.js': 'text/javascript',
  'charts.js': 'text/javascript',
  'dashboard.css': 'text/css',
  'favicon.svg': 'image/svg+xml',
};

function shell(page: Page, table?: string): string {
  const nav = PAGES.map(
    (p) => `<a href="${p.path}"${p.id === page.id ? ' aria-current="page"' : ''}>${escapeHtml(p.title)}</a>`,
  ).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · Strata</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/dashboard.js"></script>
</head>
<body>
<header><strong>Strata</strong><nav>${nav}<a href="/docs">API</a></nav></header>
<main id="page" data-page="${page.id}"${table ? ` data-table="${escapeHtml(table)}"` : ''}><h1>${escapeHtml(table ? `gold.${table}` : page.title)}</h1><div class="cards"></div></main>
</body>
</html>`;
}

const served = (body: Buffer, type: string) => ({
  body,
  type,
  etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
  // Compressed once at start: the charting library is 1.1 MB, 0.37 MB gzipped.
  gzipped: body.length > 16_384 ? gzipSync(body) : undefined,
});

export function dashboardRoutes(): Hono {
  const app = new Hono();
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      served(readFileSync(path.join(sourceDir(import.meta.url), 'assets', name)), type),
    ]),
  );
  const vendor = { 'echarts.js': served(readFileSync(ECHARTS), 'text/javascript') };
  const pageScripts = Object.fromEntries(
    PIPELINE_PAGES.map((p) => [`${p.id}.js`, served(p.script, 'text/javascript')]),
  );
  // The dashboard runs only its own scripts and talks only to its own origin.
  const csp = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
    },
  });
  for (const page of PAGES) {
    const html = shell(page);
    app.get(page.path, csp, (c) => c.html(html));
  }
  // Any gold table, a user's own included, has a page drawn from its columns (no code of its own).
  const tablePage = PAGES.find((p) => p.id === 'tables')!;
  app.get('/tables/:name{[a-z_][a-z0-9_]{0,62}}', csp, (c) =>
    c.html(shell({ ...tablePage, id: 'table' }, c.req.param('name'))),
  );
  const serve = (files: Record<string, ReturnType<typeof served>>) => (c: Context) => {
    const asset = files[c.req.param('name') ?? ''];
    if (!asset) return c.notFound();
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    const gzip = asset.gzipped && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    return c.body(new Uint8Array(gzip ? asset.gzipped! : asset.body), 200, {
      'content-type': asset.type.startsWith('text/') ? `${asset.type}; charset=utf-8` : asset.type,
      etag: asset.etag,
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
  };
  app.get('/assets/:name', csp, serve(assets));
  app.get('/pages/:name', csp, serve(pageScripts));
  app.get('/assets/vendor/:name', csp, serve(vendor));
  return app;
}
