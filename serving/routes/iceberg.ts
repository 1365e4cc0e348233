// /iceberg: the lake's tables through the Apache Iceberg REST catalog protocol (open-api/rest-catalog-open-api.yaml),
// read-only: config, the namespaces bronze, silver and gold, their tables, and each table's current metadata as the
// follower wrote it (docs/iceberg.md). Engines (Spark, Trino, PyIceberg, DuckDB) then read the files themselves.
import { Hono } from 'hono';
import type { Config } from '../../core/config.ts';
import type { Pool } from '../../core/postgres.ts';
import { LAYERS } from '../../lake/catalog/catalog.ts';
import { CatalogReadModel } from '../../lake/catalog/read-model.ts';
import { readCurrentMetadata } from '../../lake/iceberg/iceberg-writer.ts';
import type { ObjectStore } from '../../lake/storage/object-store.ts';

/** The catalog's S3 settings for engines, where the lake is an S3 bucket (no credentials: engines bring their own). */
export type S3Settings = Pick<Config['s3'], 'endpoint' | 'region' | 'forcePathStyle'>;

/** Errors in the REST catalog's own shape (ErrorModel). */
const error = (code: number, type: string, message: string) => ({ error: { message, type, code } });

const isLayer = (name: string): name is (typeof LAYERS)[number] => (LAYERS as readonly string[]).includes(name);

export function icebergRoutes(pool: Pool, store: ObjectStore | undefined, s3?: S3Settings): Hono {
  const app = new Hono();
  const catalog = new CatalogReadModel(pool);

  app.get('/v1/config', (c) =>
    c.json({
      defaults: {},
      overrides: {},
      endpoints: [
        'GET /v1/{prefix}/namespaces',
        'GET /v1/{prefix}/namespaces/{namespace}',
        'HEAD /v1/{prefix}/namespaces/{namespace}',
        'GET /v1/{prefix}/namespaces/{namespace}/tables',
        'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
        'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
      ],
    }),
  );

  app.get('/v1/namespaces', (c) => {
    // Namespaces are one level deep: a parent has no children.
    if (c.req.query('parent')) return c.json({ namespaces: [] });
    return c.json({ namespaces: LAYERS.map((layer) => [layer]) });
  });

  const namespace = (c: { req: { param(name: 'namespace'): string } }) => decodeURIComponent(c.req.param('namespace'));

  app.on(['GET', 'HEAD'], '/v1/namespaces/:namespace', (c) => {
    const name = namespace(c);
    if (!isLayer(name)) return c.json(error(404, 'NoSuchNamespaceException', `Namespace does not exist: ${name}`), 404);
    return c.json({ namespace: [name], properties: { comment: `The lake's ${name} layer` } });
  });

  app.get('/v1/namespaces/:namespace/tables', async (c) => {
    const name = namespace(c);
    if (!isLayer(name)) return c.json(error(404, 'NoSuchNamespaceException', `Namespace does not exist: ${name}`), 404);
    const tables = (await catalog.tables(name)).filter((t) => t.snapshot_id !== null);
    return c.json({ identifiers: tables.map((t) => ({ namespace: [name], name: t.name })) });
  });

  app.on(['GET', 'HEAD'], '/v1/namespaces/:namespace/tables/:table', async (c) => {
    const layer = namespace(c);
    const name = decodeURIComponent(c.req.param('table'));
    const missing = () => c.json(error(404, 'NoSuchTableException', `Table does not exist: ${layer}.${name}`), 404);
    if (!isLayer(layer) || !store || !/^\w+$/.test(name)) return missing();
    const current = await readCurrentMetadata({ store }, { layer, name });
    if (!current) return missing();
    const { metadata, version } = current;
    const location = `${metadata.location}/metadata/v${version}.metadata.json`;
    const config: Record<string, string> =
      s3 && metadata.location.startsWith('s3')
        ? { 's3.endpoint': s3.endpoint, 's3.region': s3.region, 's3.path-style-access': String(s3.forcePathStyle) }
        : {};
    if (c.req.method === 'HEAD') return c.body(null, 204);
    return c.json({ 'metadata-location': location, metadata, config });
  });

  return app;
}
