// Iceberg format v2 metadata for a lake table, written after its commits by a follower (decision 0039): the table's
// current catalog snapshot becomes an Iceberg snapshot (manifest, manifest list, vN.metadata.json, then
// version-hint.text), the earlier ones stay while lake:vacuum keeps their files. Only committed files are ever named,
// and a snapshot is dropped from the metadata before vacuum deletes a file of it.
import { randomUUID } from 'node:crypto';
import { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } from 'hyparquet';
import { failpoint } from '../../core/failpoints.ts';
import type { LiveFile, Snapshot, TableRef } from '../catalog/catalog.ts';
import type { Runtime } from '../runtime.ts';
import {
  boundOf,
  daysOf,
  int32LE,
  FieldIds,
  type IcebergField,
  type IcebergSchema,
  icebergFields,
  nameMapping,
} from './iceberg-schema.ts';
import { avroFile, MANIFEST_FILE_SCHEMA, manifestEntrySchema, type PartitionField } from './manifests.ts';

/** At most this many snapshots stay in the metadata (the oldest leave first), so it never grows without a bound. */
export const MAX_SNAPSHOTS = 100;

interface IcebergSnapshot {
  'snapshot-id': number;
  'parent-snapshot-id'?: number;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: Record<string, string>;
  'schema-id': number;
}

interface PartitionSpec {
  'spec-id': number;
  fields: { 'source-id': number; 'field-id': number; name: string; transform: string }[];
}

export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: IcebergSchema[];
  'default-spec-id': number;
  'partition-specs': PartitionSpec[];
  'last-partition-id': number;
  'default-sort-order-id': 0;
  'sort-orders': { 'order-id': 0; fields: [] }[];
  properties: Record<string, string>;
  'current-snapshot-id': number;
  refs: Record<string, { 'snapshot-id': number; type: 'branch' }>;
  snapshots: IcebergSnapshot[];
  'snapshot-log': { 'timestamp-ms': number; 'snapshot-id': number }[];
  'metadata-log': { 'timestamp-ms': number; 'metadata-file': string }[];
}

/** Where a table's metadata lives in the lake, relative to its root. */
export const metadataFolder = (t: TableRef) => `${t.layer}/${t.name}/metadata`;

/** Whether a lake object is Iceberg metadata (the catalog does not record it: vacuum and check leave it alone). */
export const isIcebergMetadata = (key: string) => /^[^/]+\/[^/]+\/metadata\//.test(key);

/** The version the table's version-hint.text names, and its metadata; undefined before the first. */
export async function readCurrentMetadata(
  rt: Pick<Runtime, 'store'>,
  t: TableRef,
): Promise<{ version: number; metadata: TableMetadata } | undefined> {
  const folder = metadataFolder(t);
  if (!(await rt.store.head(`${folder}/version-hint.text`))) return undefined;
  const version = Number((await rt.store.getBytes(`${folder}/version-hint.text`)).toString('utf8').trim());
  if (!Number.isInteger(version) || version < 1) return undefined;
  const metadata = JSON.parse((await rt.store.getBytes(`${folder}/v${version}.metadata.json`)).toString('utf8'));
  return { version, metadata };
}

export interface SyncResult {
  table: string;
  /** The metadata version written, or undefined when it was current already. */
  version?: number;
  snapshotId?: number;
  /** Snapshots dropped because lake:vacuum removed their files (or past MAX_SNAPSHOTS). */
  expired: number;
}

/**
 * Brings a table's Iceberg metadata up to its current catalog snapshot, and drops snapshots whose files lake:vacuum
 * removed (it marks them before it deletes them). `baseUrl` is the lake's root as engines reach it.
 */
export async function syncIceberg(rt: Runtime, t: TableRef, baseUrl: string): Promise<SyncResult> {
  const result: SyncResult = { table: `${t.layer}.${t.name}`, expired: 0 };
  const current = await rt.catalog.currentSnapshot(t);
  if (!current) return result;
  const previous = await readCurrentMetadata(rt, t);
  const prior = previous?.metadata;
  const priorIds = (prior?.snapshots ?? []).map((s) => s['snapshot-id']);
  const readable = await rt.catalog.readableSnapshots(t, priorIds);
  const kept = (prior?.snapshots ?? []).filter((s) => readable.has(s['snapshot-id']));
  const upToDate = prior?.['current-snapshot-id'] === current.snapshotId;
  if (upToDate && kept.length === priorIds.length) return result;
  failpoint('iceberg-before-write');

  const location = `${baseUrl}/${t.layer}/${t.name}`;
  const folder = metadataFolder(t);
  const now = Date.now();
  const ids = new FieldIds(prior?.schemas ?? [], prior?.['last-column-id'] ?? 0);
  const fields = upToDate
    ? prior!.schemas.find((s) => s['schema-id'] === prior!['current-schema-id'])!.fields
    : await schemaOf(rt, current, ids);
  const schemas = [...(prior?.schemas ?? [])];
  let schema = schemas.find((s) => JSON.stringify(s.fields) === JSON.stringify(fields));
  if (!schema) {
    schema = {
      type: 'struct',
      'schema-id': schemas.length ? Math.max(...schemas.map((s) => s['schema-id'])) + 1 : 0,
      fields,
    };
    schemas.push(schema);
  }
  const spec = specOf(current, fields, prior?.['partition-specs'] ?? []);
  const specs = prior?.['partition-specs']?.some((s) => s['spec-id'] === spec['spec-id'])
    ? prior['partition-specs']
    : [...(prior?.['partition-specs'] ?? []), spec];

  let snapshots = kept;
  if (!upToDate) {
    const added = await writeSnapshot(rt, t, current, prior, { root: baseUrl, location, folder, schema, spec, fields });
    snapshots = [...kept, added];
  }
  if (snapshots.length > MAX_SNAPSHOTS) snapshots = snapshots.slice(snapshots.length - MAX_SNAPSHOTS);
  const keptIds = new Set(snapshots.map((s) => s['snapshot-id']));
  result.expired = priorIds.filter((id) => !keptIds.has(id)).length;

  const version = (previous?.version ?? 0) + 1;
  // Earlier versions stay listed (and on storage) while every snapshot they name is kept: each reads as it was.
  const log = [
    ...(prior?.['metadata-log'] ?? []),
    ...(previous
      ? [
          {
            'timestamp-ms': prior!['last-updated-ms'],
            'metadata-file': `${location}/metadata/v${previous.version}.metadata.json`,
          },
        ]
      : []),
  ];
  // Without an expired snapshot every earlier version still reads (snapshots are only ever added): nothing to check.
  const { live: metadataLog, dropped } =
    result.expired > 0 ? await keepReadableVersions(rt, folder, log, keptIds) : { live: log, dropped: [] };
  const metadata: TableMetadata = {
    'format-version': 2,
    'table-uuid': prior?.['table-uuid'] ?? randomUUID(),
    location,
    'last-sequence-number': Math.max(prior?.['last-sequence-number'] ?? 0, current.snapshotId),
    'last-updated-ms': now,
    'last-column-id': ids.lastColumnId,
    'current-schema-id': schema['schema-id'],
    schemas,
    'default-spec-id': spec['spec-id'],
    'partition-specs': specs,
    'last-partition-id': Math.max(999, ...specs.flatMap((s) => s.fields.map((f) => f['field-id']))),
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: {
      'schema.name-mapping.default': JSON.stringify(nameMapping(fields)),
      'write.parquet.compression-codec': 'zstd',
      'strata.catalog': 'The lake catalog in PostgreSQL writes this table; this metadata follows it (read-only).',
    },
    'current-snapshot-id': current.snapshotId,
    refs: { main: { 'snapshot-id': current.snapshotId, type: 'branch' } },
    snapshots,
    'snapshot-log': snapshots.map((s) => ({ 'timestamp-ms': s['timestamp-ms'], 'snapshot-id': s['snapshot-id'] })),
    'metadata-log': metadataLog,
  };
  await rt.store.putBytes(`${folder}/v${version}.metadata.json`, JSON.stringify(metadata, null, 1));
  await rt.store.putBytes(`${folder}/version-hint.text`, String(version));
  // Only now, with the new version current, are the files of what it no longer names removed.
  if (result.expired > 0) await removeUnreferenced(rt, folder, metadata, dropped);
  result.version = version;
  result.snapshotId = current.snapshotId;
  return result;
}

/** The fields of the table's newest file (a table's columns only grow: older files lack the new ones). */
async function schemaOf(rt: Runtime, snapshot: Snapshot, ids: FieldIds): Promise<IcebergField[]> {
  const newest = snapshot.files.reduce<LiveFile | undefined>((a, f) => (!a || f.fileId > a.fileId ? f : a), undefined);
  if (!newest) return [];
  const file = await asyncBufferFromFile(await rt.store.localPath(newest.path));
  return icebergFields(parquetSchema(await parquetMetadataAsync(file)), ids);
}

/** An identity partition on the table's date column when its files are partitioned by one it holds; else none. */
function specOf(snapshot: Snapshot, fields: readonly IcebergField[], known: readonly PartitionSpec[]): PartitionSpec {
  const column = snapshot.files.map((f) => Object.keys(f.partitionValues ?? {})[0]).find(Boolean);
  const source = fields.find((f) => f.name === column && f.type === 'date');
  const wanted = source ? [{ 'source-id': source.id, 'field-id': 1000, name: source.name, transform: 'identity' }] : [];
  const same = known.find((s) => JSON.stringify(s.fields) === JSON.stringify(wanted));
  if (same) return same;
  return { 'spec-id': known.length ? Math.max(...known.map((s) => s['spec-id'])) + 1 : 0, fields: wanted };
}

const OPERATIONS: Record<string, string> = { append: 'append', compact: 'replace', rekey: 'replace' };

/** Writes the manifest and manifest list of the table's current snapshot; returns its Iceberg snapshot. */
async function writeSnapshot(
  rt: Runtime,
  t: TableRef,
  current: Snapshot,
  prior: TableMetadata | undefined,
  ctx: {
    root: string;
    location: string;
    folder: string;
    schema: IcebergSchema;
    spec: PartitionSpec;
    fields: IcebergField[];
  },
): Promise<IcebergSnapshot> {
  const priorId = prior?.['current-snapshot-id'];
  const partition: PartitionField[] = ctx.spec.fields.map((f) => ({
    fieldId: f['field-id'],
    name: f.name,
    avro: { type: 'int', logicalType: 'date' },
  }));
  const byName = new Map(ctx.fields.map((f) => [f.name, f]));
  const bounds = (file: LiveFile, side: 'min' | 'max') =>
    Object.entries(file.columnStats ?? {}).flatMap(([column, stat]) => {
      const field = byName.get(column);
      const value = field && field.type !== 'string' ? boundOf(field.type, stat?.[side]) : undefined;
      return field && value ? [{ key: field.id, value }] : [];
    });
  const isNew = (f: LiveFile) => priorId === undefined || f.addedSnapshotId > priorId;
  const entries = current.files.map((f) => ({
    status: isNew(f) ? 1 : 0,
    snapshot_id: isNew(f) ? current.snapshotId : priorId!,
    // A file's data sequence number is the catalog snapshot that added it (snapshot ids only grow).
    sequence_number: f.addedSnapshotId,
    file_sequence_number: f.addedSnapshotId,
    data_file: {
      content: 0,
      file_path: `${ctx.root}/${f.path}`,
      file_format: 'PARQUET',
      partition: Object.fromEntries(
        ctx.spec.fields.map((p) => {
          const value = f.partitionValues?.[p.name];
          return [p.name, value ? daysOf(value) : null];
        }),
      ),
      record_count: f.rowCount,
      file_size_in_bytes: f.bytes,
      value_counts: null,
      null_value_counts: null,
      lower_bounds: bounds(f, 'min'),
      upper_bounds: bounds(f, 'max'),
      sort_order_id: null,
    },
  }));
  const tag = randomUUID();
  const manifestKey = `${ctx.folder}/${tag}-m0.avro`;
  const manifest = await avroFile(manifestEntrySchema(partition), entries, {
    schema: JSON.stringify(ctx.schema),
    'schema-id': String(ctx.schema['schema-id']),
    'partition-spec': JSON.stringify(ctx.spec.fields),
    'partition-spec-id': String(ctx.spec['spec-id']),
    'format-version': '2',
    content: 'data',
  });
  await rt.store.putBytes(manifestKey, manifest);
  const added = entries.filter((e) => e.status === 1);
  const existing = entries.filter((e) => e.status === 0);
  const rows = (list: typeof entries) => list.reduce((n, e) => n + e.data_file.record_count, 0);
  const partitionDays = entries.flatMap((e) => Object.values(e.data_file.partition) as (number | null)[]);
  const present = partitionDays.filter((d): d is number => d !== null);
  const listKey = `${ctx.folder}/snap-${current.snapshotId}-${tag}.avro`;
  const list = await avroFile(
    MANIFEST_FILE_SCHEMA,
    [
      {
        manifest_path: `${ctx.location}/metadata/${tag}-m0.avro`,
        manifest_length: manifest.length,
        partition_spec_id: ctx.spec['spec-id'],
        content: 0,
        sequence_number: current.snapshotId,
        min_sequence_number: Math.min(current.snapshotId, ...entries.map((e) => e.sequence_number)),
        added_snapshot_id: current.snapshotId,
        added_files_count: added.length,
        existing_files_count: existing.length,
        deleted_files_count: 0,
        added_rows_count: rows(added),
        existing_rows_count: rows(existing),
        deleted_rows_count: 0,
        partitions: ctx.spec.fields.length
          ? [
              {
                contains_null: partitionDays.some((d) => d === null),
                contains_nan: false,
                lower_bound: present.length ? int32LE(Math.min(...present)) : null,
                upper_bound: present.length ? int32LE(Math.max(...present)) : null,
              },
            ]
          : null,
      },
    ],
    {
      'snapshot-id': String(current.snapshotId),
      ...(priorId === undefined ? {} : { 'parent-snapshot-id': String(priorId) }),
      'sequence-number': String(current.snapshotId),
      'format-version': '2',
    },
  );
  await rt.store.putBytes(listKey, list);
  const info = await rt.catalog.snapshotInfo(current.snapshotId);
  const removedSince =
    priorId === undefined
      ? []
      : ((await rt.catalog.snapshotAt(t, priorId).catch(() => undefined))?.files.filter(
          (f) => !current.files.some((c) => c.fileId === f.fileId),
        ) ?? []);
  const operations =
    priorId === undefined
      ? [info?.operation ?? 'append']
      : await rt.catalog.operationsBetween(t, priorId, current.snapshotId);
  const operation =
    removedSince.length === 0
      ? 'append'
      : operations.every((o) => OPERATIONS[o] === 'replace')
        ? 'replace'
        : 'overwrite';
  return {
    'snapshot-id': current.snapshotId,
    ...(priorId === undefined ? {} : { 'parent-snapshot-id': priorId }),
    'sequence-number': current.snapshotId,
    'timestamp-ms': (info?.committedAt ?? new Date()).getTime(),
    'manifest-list': `${ctx.location}/metadata/snap-${current.snapshotId}-${tag}.avro`,
    summary: {
      operation,
      'added-data-files': String(added.length),
      'added-records': String(rows(added)),
      'deleted-data-files': String(removedSince.length),
      'deleted-records': String(removedSince.reduce((n, f) => n + f.rowCount, 0)),
      'total-data-files': String(entries.length),
      'total-records': String(rows(entries)),
      'total-files-size': String(current.files.reduce((n, f) => n + f.bytes, 0)),
      'strata.operation': info?.operation ?? 'unknown',
    },
    'schema-id': ctx.schema['schema-id'],
  };
}

/**
 * Earlier metadata versions whose snapshots are all kept stay in the log; the others are dropped from it (their files
 * are removed once the new version is current).
 */
async function keepReadableVersions(
  rt: Runtime,
  folder: string,
  log: TableMetadata['metadata-log'],
  kept: ReadonlySet<number>,
): Promise<{ live: TableMetadata['metadata-log']; dropped: string[] }> {
  const live: TableMetadata['metadata-log'] = [];
  const dropped: string[] = [];
  for (const entry of log) {
    const name = entry['metadata-file'].slice(entry['metadata-file'].lastIndexOf('/') + 1);
    const old = await rt.store
      .getBytes(`${folder}/${name}`)
      .then((b) => JSON.parse(b.toString('utf8')) as TableMetadata)
      .catch(() => undefined);
    if (old?.snapshots.every((s) => kept.has(s['snapshot-id']))) live.push(entry);
    else dropped.push(`${folder}/${name}`);
  }
  return { live, dropped };
}

/**
 * Deletes the metadata files no kept version names: dropped versions, and the manifests of expired snapshots. Every
 * version the log keeps names only snapshots the current one keeps (keepReadableVersions dropped the others), so the
 * current version's snapshots name every manifest still needed.
 */
async function removeUnreferenced(
  rt: Runtime,
  folder: string,
  current: TableMetadata,
  dropped: string[],
): Promise<void> {
  const fileOf = (url: string) => `${folder}/${url.slice(url.lastIndexOf('/') + 1)}`;
  const named = new Set<string>([
    `${folder}/version-hint.text`,
    ...current['metadata-log'].map((e) => fileOf(e['metadata-file'])),
  ]);
  for (const s of current.snapshots) {
    const list = fileOf(s['manifest-list']);
    named.add(list);
    // A list's manifest shares its tag: snap-<id>-<tag>.avro names <tag>-m0.avro.
    named.add(list.replace(/\/snap-\d+-([^/]+)\.avro$/, '/$1-m0.avro'));
  }
  for (const object of await rt.store.list(`${folder}/`)) {
    const version = /\/v\d+\.metadata\.json$/.test(object.key);
    if (named.has(object.key) || (version && !dropped.includes(object.key))) continue;
    await rt.store.delete(object.key);
  }
  for (const key of dropped) await rt.store.delete(key).catch(() => {});
}
