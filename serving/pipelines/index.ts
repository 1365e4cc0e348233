// A pipeline's own part of the API and the dashboard, discovered as sources and tables are: a folder
// `serving/pipelines/<name>/` with `routes.ts` (endpoints under /v1, exported as `routes`) and/or `page.js` with
// `page.json` (a dashboard page at /<name>). Removing a pipeline removes its folder; nothing else names it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { importSource, sourceDir } from '../../core/modules.ts';
import type { Pool } from '../../core/postgres.ts';

export interface PipelineRoutes {
  /** The OpenAPI tag its endpoints are listed under. */
  tag: { name: string; description: string };
  mount(pool: Pool): OpenAPIHono;
}

export interface PipelinePage {
  /** The folder's name: the page's path and id. */
  id: string;
  title: string;
  /** Position in the navigation, lowest first. */
  order: number;
  /** The page's script (an ES module exporting `render(main, kit)`). */
  script: Buffer;
}

export const PIPELINES_ROOT = sourceDir(import.meta.url);

const folders = readdirSync(PIPELINES_ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

async function discoverRoutes(): Promise<Record<string, PipelineRoutes>> {
  const found: Record<string, PipelineRoutes> = {};
  for (const name of folders) {
    const file = path.join(PIPELINES_ROOT, name, 'routes.ts');
    if (!existsSync(file)) continue;
    const module = (await importSource(file)) as { routes?: PipelineRoutes };
    if (!module.routes) throw new Error(`serving/pipelines/${name}/routes.ts exports no \`routes\``);
    found[name] = module.routes;
  }
  return found;
}

export const PIPELINE_ROUTES: Readonly<Record<string, PipelineRoutes>> = Object.freeze(await discoverRoutes());

/** The dashboard pages of the pipelines, in navigation order (read from disk once, at start-up). */
export const PIPELINE_PAGES: readonly PipelinePage[] = discoverPages();

function discoverPages(): PipelinePage[] {
  return folders
    .filter((name) => existsSync(path.join(PIPELINES_ROOT, name, 'page.js')))
    .map((id) => {
      const metaFile = path.join(PIPELINES_ROOT, id, 'page.json');
      if (!existsSync(metaFile))
        throw new Error(`serving/pipelines/${id}/page.js has no page.json; add one: { "title": "…", "order": 10 }`);
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { title: string; order?: number };
      return {
        id,
        title: meta.title,
        order: meta.order ?? 100,
        script: readFileSync(path.join(PIPELINES_ROOT, id, 'page.js')),
      };
    })
    .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}
