// GET /docs: the OpenAPI document as a readable page, rendered on the server with no script or external asset
// (it works offline and under a strict content security policy).
import { html, raw } from 'hono/html';
import { escapeHtml } from './html.ts';

type Operation = {
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: { name: string; in: string; description?: string; example?: unknown }[];
  responses?: Record<string, { description?: string }>;
};
export type DocsDocument = {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
};

/** Prose of the OpenAPI document: escaped, with its `code spans` shown as code rather than as backticks. */
const prose = (text: string | undefined) =>
  raw(escapeHtml(text ?? '').replace(/`([^`\n]+)`/g, (_, code: string) => `<code>${code}</code>`));

export function docsPage(doc: DocsDocument): ReturnType<typeof html> {
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${doc.info.title} ${doc.info.version}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}
section{border-top:1px solid #d0d7de;padding:.6rem 0}.m{display:inline-block;min-width:3.5rem;font-weight:600;color:#0969da;text-transform:uppercase}table{border-collapse:collapse}td{padding:.15rem .6rem .15rem 0;vertical-align:top}</style></head>
<body><nav><a href="/">← Dashboard</a></nav><h1>${doc.info.title} <small>${doc.info.version}</small></h1><p>${prose(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1). Errors are <code>{ "error": { "code", "message" } }</code>.</p>
${raw(
  operations
    .map(
      ({
        path,
        method,
        op,
      }) => html`<section id="${op.operationId ?? ''}"><div><span class="m">${method}</span> <code>${path}</code> — ${prose(op.summary)}</div>
${op.description ? html`<p>${prose(op.description)}</p>` : ''}
${op.parameters?.length ? html`<table>${raw(op.parameters.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${prose(p.description)}${p.example === undefined ? '' : html` (e.g. <code>${String(p.example)}</code>)`}</td></tr>`).join(''))}</table>` : ''}
<table>${raw(
        Object.entries(op.responses ?? {})
          .map(([status, r]) => html`<tr><td>${status}</td><td>${prose(r.description)}</td></tr>`)
          .join(''),
      )}</table></section>`,
    )
    .join(''),
)}
</body></html>`;
}
