// Every lake table as an Apache Iceberg table (docs/iceberg.md), checked with readers nobody here wrote: icebird reads
// each table of the examples over HTTP (a static server on the lake folder) and finds the rows `pnpm sql` finds, now
// and at an earlier metadata version; the manifests carry the spec's v2 fields and ids; a process killed between a
// commit and its metadata write leaves metadata naming live files only, which `pnpm lake:iceberg` brings level.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { icebergRead } from 'icebird';
import { IcebergRestCatalog } from 'iceberg-js';
import { envFor, loadConfig, processEnvironment, PROJECT_ROOT, type Config } from '../core/config.ts';
import { withDuck } from '../core/duckdb.ts';
import { scriptArgs } from '../core/modules.ts';
import { attachLake } from '../jobs/lake-session.ts';
import type { TableRef } from '../lake/catalog/catalog.ts';
import { readCurrentMetadata, type TableMetadata } from '../lake/iceberg/iceberg-writer.ts';
import { compactTable } from '../lake/compact.ts';
import { openRuntime, type Runtime } from '../lake/runtime.ts';
import { vacuumLake } from '../lake/vacuum.ts';
import { createApp } from '../serving/app.ts';
import { loadBronze } from './support/bronze-fixture.ts';
import { isolatedConfig } from './support/isolated.ts';
import { loadPipelineFixture, WEATHER } from './support/pipeline-fixture.ts';
import { serveFolder } from './support/static-server.ts';

const run = promisify(execFile);

type Row = Record<string, unknown>;

/** A value as both readers can agree on it: times as ISO instants, numbers as numbers, nested values as JSON. */
function canonical(value: unknown, duckType: string): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (/^TIMESTAMP/.test(duckType) || duckType === 'DATE') {
      const iso = value.replace(' ', 'T').replace(/(T.*[+-]\d\d)$/, '$1:00');
      const text = duckType === 'DATE' ? `${value}T00:00:00Z` : /[zZ]$|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`;
      const time = new Date(text);
      if (Number.isNaN(time.getTime())) throw new Error(`${duckType} value ${JSON.stringify(value)} is not a time`);
      return time.toISOString();
    }
    if (/^(BIGINT|HUGEINT|DECIMAL|UBIGINT)/.test(duckType)) return Number(value);
    return value;
  }
  if (typeof value === 'number') return Math.round(value * 1e9) / 1e9;
  return JSON.parse(JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** A table's rows as `pnpm sql` reads them (the same lake session), optionally as of a time. */
async function sqlRows(rt: Runtime, t: TableRef, asOf?: Date): Promise<{ types: Map<string, string>; rows: string[] }> {
  return withDuck(async (duck) => {
    await attachLake(rt, duck, { asOf });
    const { columns, rows } = await duck.allJson(`select * from "${t.layer}"."${t.name}"`);
    const types = new Map(columns.map((c) => [c.name, c.type]));
    return { types, rows: rows.map((r) => rowText(r, types)).sort() };
  });
}

const rowText = (row: Row, types: Map<string, string>) =>
  JSON.stringify([...types.keys()].map((c) => canonical(row[c], types.get(c)!)));

describe('every lake table as an Iceberg table', { timeout: 600_000 }, () => {
  let config: Config;
  let rt: Runtime;
  let lakeFolder: string;
  let server: { url: string; close(): Promise<void> };
  let cleanup: () => Promise<void>;
  const tableUrl = (t: TableRef) => `${server.url}/${t.layer}/${t.name}`;
  const tables = async () => (await rt.catalog.listTables()).filter((t) => t.snapshotId !== null);

  before(async () => {
    const isolated = await isolatedConfig('file');
    cleanup = isolated.cleanup;
    lakeFolder = isolated.config.lakeUrl.slice('file://'.length);
    server = await serveFolder(lakeFolder);
    // Engines reach the lake through the server: its URL is the root the metadata names files under.
    config = loadConfig({
      ...processEnvironment(),
      DATABASE_URL: isolated.config.databaseUrl,
      STRATA_REDIS_PREFIX: isolated.config.redisPrefix,
      STRATA_LAKE_URL: isolated.config.lakeUrl,
      STRATA_ICEBERG_BASE_URL: server.url,
    });
    rt = await openRuntime(config);
    await loadPipelineFixture(rt);
    await rt.iceberg.catchUp();
  });
  after(async () => {
    await rt?.close();
    await server?.close();
    await cleanup?.();
  });

  it('icebird reads every table of the examples over HTTP, with the rows pnpm sql reads', async () => {
    const all = await tables();
    assert.ok(all.length >= 20, `${all.length} tables`);
    for (const layer of ['bronze', 'silver', 'gold'])
      assert.ok(
        all.some((t) => t.layer === layer),
        layer,
      );
    for (const t of all) {
      const mine = await sqlRows(rt, t);
      const theirs = (await icebergRead({ tableUrl: tableUrl(t) })) as Row[];
      assert.equal(theirs.length, mine.rows.length, `${t.layer}.${t.name}: rows`);
      assert.deepEqual(theirs.map((r) => rowText(r, mine.types)).sort(), mine.rows, `${t.layer}.${t.name}: values`);
    }
  });

  it('reads an earlier metadata version as pnpm sql --as-of reads the time of its snapshot', async () => {
    const weather: TableRef = { layer: 'bronze', name: 'weather' };
    const before = await readCurrentMetadata(rt, weather);
    assert.ok(before);
    const then = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // More readings: a new snapshot, and a new metadata version naming both.
    await loadBronze(
      rt,
      'weather',
      WEATHER.slice(0, 5).map((r) => ({
        key: `${r.station_id}|2026-12-01T00:00:00Z`,
        observedAt: '2026-12-01T00:00:00Z',
        payload: { ...r, observed_at: '2026-12-01T00:00:00Z' },
      })),
    );
    await rt.iceberg.sync(weather);
    const now = await readCurrentMetadata(rt, weather);
    assert.equal(now!.version, before.version + 1);
    assert.equal(now!.metadata.snapshots.length, before.metadata.snapshots.length + 1);
    assert.equal(
      now!.metadata['metadata-log'].at(-1)!['metadata-file'],
      `${tableUrl(weather)}/metadata/v${before.version}.metadata.json`,
    );
    const current = (await icebergRead({ tableUrl: tableUrl(weather) })) as Row[];
    const earlier = (await icebergRead({
      tableUrl: tableUrl(weather),
      metadataFileName: `v${before.version}.metadata.json`,
    })) as Row[];
    const sqlNow = await sqlRows(rt, weather);
    const sqlThen = await sqlRows(rt, weather, then);
    assert.equal(current.length, sqlNow.rows.length);
    assert.equal(earlier.length, sqlThen.rows.length);
    assert.equal(current.length - earlier.length, 5);
    assert.deepEqual(earlier.map((r) => rowText(r, sqlThen.types)).sort(), sqlThen.rows);
  });

  it("writes manifests and manifest lists whose Avro schemas carry the spec's v2 fields, ids and types", async () => {
    for (const t of await tables()) {
      const { metadata } = (await readCurrentMetadata(rt, t))!;
      assert.equal(metadata['format-version'], 2);
      const snapshot = metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id'])!;
      const list = await decode(localOf(snapshot['manifest-list']));
      assert.deepEqual(missing(list.schema, MANIFEST_FILE), [], `${t.layer}.${t.name}: manifest list`);
      for (const manifest of list.records as {
        manifest_path: string;
        added_files_count: number;
        existing_files_count: number;
      }[]) {
        const m = await decode(localOf(manifest.manifest_path));
        assert.deepEqual(missing(m.schema, MANIFEST_ENTRY), [], `${t.layer}.${t.name}: manifest`);
        for (const key of ['schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content'])
          assert.ok(m.metadata[key], `${t.layer}.${t.name}: manifest metadata ${key}`);
        const entries = m.records as { status: number; data_file: { record_count: bigint; file_path: string } }[];
        assert.equal(entries.length, manifest.added_files_count + manifest.existing_files_count);
        const catalogRows = await rt.catalog.rowCount(t);
        assert.equal(
          entries.reduce((n, e) => n + Number(e.data_file.record_count), 0),
          catalogRows,
        );
      }
    }
  });

  it('a process killed between a commit and its metadata write leaves metadata naming live files only, and lake:iceberg catches up', async () => {
    const gold: TableRef = { layer: 'gold', name: 'weather_daily' };
    const before = (await readCurrentMetadata(rt, gold))!;
    // New readings, then the gold job killed at its first metadata write (after its commits).
    await loadBronze(
      rt,
      'weather',
      WEATHER.slice(0, 12).map((r) => ({
        key: `${r.station_id}|2026-12-02T00:00:00Z`,
        observedAt: '2026-12-02T00:00:00Z',
        payload: { ...r, observed_at: '2026-12-02T00:00:00Z', updated_at: '2026-12-02T00:10:00Z' },
      })),
    );
    const env = {
      ...process.env,
      ...envFor(config),
      STRATA_ICEBERG_BASE_URL: server.url,
      STRATA_ICEBERG_INTERVAL_SECONDS: '0',
    };
    const killed = await run(process.execPath, scriptArgs('bin/job.ts', ['silver']), {
      cwd: PROJECT_ROOT,
      env: { ...env, STRATA_FAILPOINT: 'iceberg-before-write:1' },
    }).then(
      () => undefined,
      (error: { signal?: string }) => error.signal,
    );
    assert.equal(killed, 'SIGKILL');
    await run(process.execPath, scriptArgs('bin/job.ts', ['gold']), {
      cwd: PROJECT_ROOT,
      env: { ...env, STRATA_FAILPOINT: 'iceberg-before-write:1' },
    }).catch(() => undefined);
    const lagging = (await readCurrentMetadata(rt, gold))!;
    const current = (await rt.catalog.currentSnapshot(gold))!;
    assert.equal(lagging.version, before.version, 'the killed job wrote no metadata');
    assert.notEqual(lagging.metadata['current-snapshot-id'], current.snapshotId, 'the catalog moved on');
    // What the lagging metadata names was committed and is still there.
    for (const file of await namedFiles(lagging.metadata)) {
      assert.ok(existsSync(path.join(lakeFolder, file)), file);
      assert.ok((await rt.catalog.knownPaths()).has(file), file);
    }
    const { stdout } = await run(process.execPath, scriptArgs('bin/lake.ts', ['iceberg']), { cwd: PROJECT_ROOT, env });
    assert.match(stdout, /gold\.weather_daily: v\d+ at snapshot \d+/);
    const caught = (await readCurrentMetadata(rt, gold))!;
    assert.equal(caught.metadata['current-snapshot-id'], current.snapshotId);
    const theirs = (await icebergRead({ tableUrl: tableUrl(gold) })) as Row[];
    assert.equal(theirs.length, (await sqlRows(rt, gold)).rows.length);
  });

  it('serves the catalog as an Iceberg REST catalog: iceberg-js lists the namespaces and tables and loads every table', async () => {
    const key = 'iceberg-reader-0123456789abcdef';
    const app = createApp({
      pool: rt.pool,
      store: rt.store,
      settings: {
        rateLimitPerMinute: 0,
        read: 'key',
        keys: [`${key}@read:iceberg`, 'other-reader-0123456789abcdef@read:gold_*'],
      },
    });
    const api = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => api.once('listening', resolve));
    const baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/iceberg`;
    try {
      const catalog = new IcebergRestCatalog({ baseUrl, auth: { type: 'bearer', token: key } });
      const { namespaces } = await catalog.listNamespaces();
      assert.deepEqual(namespaces, [{ namespace: ['bronze'] }, { namespace: ['silver'] }, { namespace: ['gold'] }]);
      const expected = await tables();
      let loaded = 0;
      for (const { namespace } of namespaces) {
        const { identifiers } = await catalog.listTables({ namespace });
        assert.deepEqual(
          identifiers.map((i) => i.name).sort(),
          expected
            .filter((t) => t.layer === namespace[0])
            .map((t) => t.name)
            .sort(),
          namespace[0],
        );
        for (const id of identifiers) {
          const result = (await catalog.loadTableResult(id))!;
          const current = (await readCurrentMetadata(rt, { layer: namespace[0] as TableRef['layer'], name: id.name }))!;
          assert.equal(
            result['metadata-location'],
            `${tableUrl({ layer: namespace[0] as TableRef['layer'], name: id.name })}/metadata/v${current.version}.metadata.json`,
          );
          assert.equal(
            result.metadata['current-snapshot-id'],
            (await rt.catalog.currentSnapshot({ layer: namespace[0] as TableRef['layer'], name: id.name }))!.snapshotId,
          );
          loaded++;
        }
      }
      assert.equal(loaded, expected.length);
      // Behind the key scopes: no key, or a key without read:iceberg, is refused.
      const anonymous = await fetch(`${baseUrl}/v1/namespaces`);
      assert.equal(anonymous.status, 401);
      const other = await fetch(`${baseUrl}/v1/namespaces`, {
        headers: { authorization: 'Bearer other-reader-0123456789abcdef' },
      });
      assert.equal(other.status, 403);
      const absent = await fetch(`${baseUrl}/v1/namespaces/gold/tables/nosuch`, {
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(absent.status, 404);
      assert.equal(((await absent.json()) as { error: { type: string } }).error.type, 'NoSuchTableException');
    } finally {
      (api as unknown as { closeAllConnections(): void }).closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('keeps the metadata true through compaction (a replace snapshot) and vacuum (its snapshots expire first)', async () => {
    const weather: TableRef = { layer: 'bronze', name: 'weather' };
    const before = (await readCurrentMetadata(rt, weather))!;
    const compacted = await compactTable(rt, weather, { minFiles: 2 });
    assert.ok(compacted.snapshotId, 'bronze.weather had small files to merge');
    await rt.iceberg.sync(weather);
    const after = (await readCurrentMetadata(rt, weather))!;
    const snapshot = after.metadata.snapshots.find((x) => x['snapshot-id'] === compacted.snapshotId)!;
    assert.equal(snapshot.summary.operation, 'replace');
    assert.equal(snapshot.summary['strata.operation'], 'compact');
    assert.equal(Number(snapshot.summary['total-data-files']), compacted.filesAfter);
    const rows = (await icebergRead({ tableUrl: tableUrl(weather) })) as Row[];
    assert.equal(rows.length, await rt.catalog.rowCount(weather));
    // Vacuum deletes the merged files: every snapshot that named them leaves the metadata before they go.
    const vacuum = await vacuumLake(rt, { retentionMillis: 0 });
    assert.ok(vacuum.expiredFiles >= compacted.filesBefore - compacted.filesAfter);
    const vacuumed = (await readCurrentMetadata(rt, weather))!;
    assert.ok(vacuumed.version > after.version);
    assert.deepEqual(
      vacuumed.metadata.snapshots.map((x) => x['snapshot-id']),
      [compacted.snapshotId],
    );
    for (const file of await namedFiles(vacuumed.metadata)) assert.ok(existsSync(path.join(lakeFolder, file)), file);
    // Versions that named an expired snapshot are gone from the log and from storage; the earliest is unreadable.
    for (const entry of vacuumed.metadata['metadata-log'])
      assert.ok(existsSync(localOf(entry['metadata-file'])), entry['metadata-file']);
    assert.equal(existsSync(path.join(lakeFolder, `bronze/weather/metadata/v${before.version}.metadata.json`)), false);
    assert.equal((await icebergRead({ tableUrl: tableUrl(weather) })).length, rows.length);
  });

  it('maps date partitions to an identity transform, and a new column to a new schema id keeping the old ids', async () => {
    const daily: TableRef = { layer: 'gold', name: 'weather_daily' };
    const { metadata } = (await readCurrentMetadata(rt, daily))!;
    const spec = metadata['partition-specs'].find((p) => p['spec-id'] === metadata['default-spec-id'])!;
    const schema = metadata.schemas.find((x) => x['schema-id'] === metadata['current-schema-id'])!;
    const date = schema.fields.find((f) => f.name === 'date')!;
    assert.deepEqual(spec.fields, [{ 'source-id': date.id, 'field-id': 1000, name: 'date', transform: 'identity' }]);
    const snapshot = metadata.snapshots.find((x) => x['snapshot-id'] === metadata['current-snapshot-id'])!;
    const list = await decode(localOf(snapshot['manifest-list']));
    const entries = (await decode(localOf((list.records[0] as { manifest_path: string }).manifest_path))).records as {
      data_file: { file_path: string; partition: { date: number } };
    }[];
    for (const e of entries) {
      const day = /date=(\d{4}-\d\d-\d\d)/.exec(e.data_file.file_path)![1]!;
      assert.equal(e.data_file.partition.date, Date.parse(`${day}T00:00:00Z`) / 86_400_000, e.data_file.file_path);
    }
    // A new column: the next id, a new schema, every earlier field keeping its id.
    const listings: TableRef = { layer: 'bronze', name: 'listings' };
    const before = (await readCurrentMetadata(rt, listings))!.metadata;
    const file = (await rt.catalog.currentSnapshot(listings))!.files[0]!;
    await withDuck(async (duck) => {
      const local = await rt.store.localPath(file.path);
      await duck.run(
        `copy (select *, 'x' as added_later from read_parquet('${local}', hive_partitioning = false)) to '${local}.new' (format parquet)`,
      );
      const info = await rt.store.putFile(`bronze/listings/evolved-${Date.now()}.parquet`, `${local}.new`);
      await rt.catalog.commit({
        table: listings,
        baseSnapshotId: (await rt.catalog.currentSnapshot(listings))!.snapshotId,
        operation: 'append',
        add: [{ path: info.key, rowCount: file.rowCount, bytes: info.bytes }],
      });
    });
    await rt.iceberg.sync(listings);
    const after = (await readCurrentMetadata(rt, listings))!.metadata;
    const old = before.schemas.at(-1)!;
    const now = after.schemas.find((x) => x['schema-id'] === after['current-schema-id'])!;
    assert.equal(now['schema-id'], old['schema-id'] + 1);
    assert.equal(after['last-column-id'], before['last-column-id'] + 1);
    for (const f of old.fields) assert.equal(now.fields.find((g) => g.name === f.name)?.id, f.id, f.name);
    assert.equal(now.fields.find((f) => f.name === 'added_later')!.id, after['last-column-id']);
    const rows = (await icebergRead({ tableUrl: tableUrl(listings) })) as Row[];
    assert.equal(rows.length, await rt.catalog.rowCount(listings));
    assert.equal(rows.filter((r) => r.added_later === 'x').length, file.rowCount);
  });

  /** A metadata URL or data file URL as a path in the lake folder. */
  const localOf = (url: string) => path.join(lakeFolder, url.slice(server.url.length));

  /** The data files the metadata's current snapshot names, relative to the lake root. */
  async function namedFiles(metadata: TableMetadata): Promise<string[]> {
    const snapshot = metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id'])!;
    const list = await decode(localOf(snapshot['manifest-list']));
    const files: string[] = [];
    for (const m of list.records as { manifest_path: string }[])
      for (const e of (await decode(localOf(m.manifest_path))).records as { data_file: { file_path: string } }[])
        files.push(e.data_file.file_path.slice(server.url.length + 1));
    return files;
  }
});

describe('an s3:// lake as Iceberg tables, read through the S3 server', { timeout: 300_000 }, () => {
  let rt: Runtime;
  let cleanup: () => Promise<void>;
  let base: string;
  before(async () => {
    const isolated = await isolatedConfig('s3');
    cleanup = isolated.cleanup;
    const [bucket, ...prefix] = isolated.config.lakeUrl.slice('s3://'.length).split('/');
    // Engines that speak HTTP reach the bucket path-style at the S3 endpoint (s3rver, MinIO).
    base = `${isolated.config.s3.endpoint}/${bucket}/${prefix.join('/')}`;
    rt = await openRuntime(
      loadConfig({
        ...processEnvironment(),
        DATABASE_URL: isolated.config.databaseUrl,
        STRATA_REDIS_PREFIX: isolated.config.redisPrefix,
        STRATA_LAKE_URL: isolated.config.lakeUrl,
        STRATA_ICEBERG_BASE_URL: base,
      }),
    );
    await loadPipelineFixture(rt);
    await rt.iceberg.catchUp();
  });
  after(async () => {
    await rt?.close();
    await cleanup?.();
  });

  it('icebird reads every table from the bucket with the rows pnpm sql reads', async () => {
    const all = (await rt.catalog.listTables()).filter((t) => t.snapshotId !== null);
    assert.ok(all.length >= 20);
    for (const t of all) {
      const mine = await sqlRows(rt, t);
      const theirs = (await icebergRead({ tableUrl: `${base}/${t.layer}/${t.name}` })) as Row[];
      assert.deepEqual(theirs.map((r) => rowText(r, mine.types)).sort(), mine.rows, `${t.layer}.${t.name}`);
    }
  });
});

/** An Avro container file read with avsc: its writer schema, header metadata and records. */
async function decode(
  file: string,
): Promise<{ schema: AvroRecord; metadata: Record<string, string>; records: unknown[] }> {
  const bytes = readFileSync(file);
  return new Promise((resolve, reject) => {
    const records: unknown[] = [];
    let schema: AvroRecord | undefined;
    let metadata: Record<string, string> = {};
    const decoder = new avro.streams.BlockDecoder({
      parseHook: (s: unknown) => {
        schema = s as AvroRecord;
        return avro.Type.forSchema(s as avro.Schema, { wrapUnions: false, registry: {} });
      },
    } as never);
    decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      metadata = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString('utf8')]));
    });
    decoder.on('data', (r: unknown) => records.push(r));
    decoder.on('end', () => resolve({ schema: schema!, metadata, records }));
    decoder.on('error', reject);
    decoder.end(bytes);
  });
}

interface AvroRecord {
  type: 'record';
  fields: { name: string; type: unknown; 'field-id'?: number }[];
}

/**
 * The required fields of Iceberg v2 (format/spec.md, "Manifest Entry Fields", "Data File Fields", "Manifest Lists"):
 * id, name and Avro type, with the nested struct they belong to.
 */
type Expected = [id: number, name: string, type: string | Expected[]];
const DATA_FILE: Expected[] = [
  [134, 'content', 'int'],
  [100, 'file_path', 'string'],
  [101, 'file_format', 'string'],
  [102, 'partition', []],
  [103, 'record_count', 'long'],
  [104, 'file_size_in_bytes', 'long'],
];
const MANIFEST_ENTRY: Expected[] = [
  [0, 'status', 'int'],
  [1, 'snapshot_id', 'long?'],
  [3, 'sequence_number', 'long?'],
  [4, 'file_sequence_number', 'long?'],
  [2, 'data_file', DATA_FILE],
];
const MANIFEST_FILE: Expected[] = [
  [500, 'manifest_path', 'string'],
  [501, 'manifest_length', 'long'],
  [502, 'partition_spec_id', 'int'],
  [517, 'content', 'int'],
  [515, 'sequence_number', 'long'],
  [516, 'min_sequence_number', 'long'],
  [503, 'added_snapshot_id', 'long'],
  [504, 'added_files_count', 'int'],
  [505, 'existing_files_count', 'int'],
  [506, 'deleted_files_count', 'int'],
  [512, 'added_rows_count', 'long'],
  [513, 'existing_rows_count', 'long'],
  [514, 'deleted_rows_count', 'long'],
];

/** What of `expected` the schema lacks or gets wrong (by field id), as readable lines. */
function missing(schema: AvroRecord, expected: Expected[], where = ''): string[] {
  const problems: string[] = [];
  for (const [id, name, type] of expected) {
    const field = schema.fields.find((f) => f['field-id'] === id);
    if (!field) {
      problems.push(`${where}${name}: no field with id ${id}`);
      continue;
    }
    if (field.name !== name) problems.push(`${where}${id}: named ${field.name}, not ${name}`);
    if (Array.isArray(type)) {
      const record = field.type as AvroRecord;
      if (record?.type !== 'record') problems.push(`${where}${name}: not a record`);
      else problems.push(...missing(record, type, `${where}${name}.`));
    } else {
      const optional = type.endsWith('?');
      const base = type.replace('?', '');
      const actual = field.type;
      const ok = optional ? Array.isArray(actual) && actual[0] === 'null' && actual[1] === base : actual === base;
      if (!ok) problems.push(`${where}${name}: type ${JSON.stringify(actual)}, not ${type}`);
    }
  }
  return problems;
}
