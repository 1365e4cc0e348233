// The dashboard at /: one server-rendered shell per page (pipeline health, each pipeline's page found in
// serving/pipelines/, the lake browser) and static scripts that draw the page from the API. Nothing is loaded from
// another origin.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Context, Hono } from 'hono';
import { sourceDir } from '../../core/modules.ts';
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
  { path: '/lake', id: 'lake', title: 'Lake' },
];

const ASSETS: Record<string, string> = {
  'dashboard.js': 'text/javascript',
  'kit.js': 'text/javascript',
  'charts.js': 'text/javascript',
  'dashboard.css': 'text/css',
  'favicon.svg': 'image/svg+xml',
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);

function shell(page: Page): string {
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
<main id="page" data-page="${page.id}"><h1>${escapeHtml(page.title)}</h1><div class="cards"></div></main>
</body>
</html>`;
}

const served = (body: Buffer, type: string) => ({
  body,
  type,
  etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
});

export function dashboardRoutes(): Hono {
  const app = new Hono();
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      served(readFileSync(path.join(sourceDir(import.meta.url), 'assets', name)), type),
    ]),
  );
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
  const serve = (files: Record<string, ReturnType<typeof served>>) => (c: Context) => {
    const asset = files[c.req.param('name') ?? ''];
    if (!asset) return c.notFound();
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    return c.body(new Uint8Array(asset.body), 200, {
      'content-type': asset.type.startsWith('text/') ? `${asset.type}; charset=utf-8` : asset.type,
      etag: asset.etag,
      'cache-control': 'no-cache',
    });
  };
  app.get('/assets/:name', csp, serve(assets));
  app.get('/pages/:name', csp, serve(pageScripts));
  return app;
}
