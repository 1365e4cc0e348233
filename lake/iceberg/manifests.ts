// Iceberg manifests and manifest lists (format spec, "Manifests" and "Manifest Lists"), written as Avro object
// container files with avsc. The Avro schemas carry the spec's field ids (`field-id`, and `element-id`/`key-id`/
// `value-id` where Iceberg's Java writer puts them), which readers match fields by.
import avro from 'avsc';

/** Maps whose keys are not strings are arrays of key/value records in Iceberg's Avro (logicalType "map"). */
const intMap = (name: string, keyId: number, valueId: number, value: string) => ({
  type: 'array',
  logicalType: 'map',
  items: {
    type: 'record',
    name,
    fields: [
      { name: 'key', type: 'int', 'field-id': keyId },
      { name: 'value', type: value, 'field-id': valueId },
    ],
  },
});

const optional = (type: unknown) => ['null', type];

/** An optional per-column metrics map of data_file: field id, then its key id (the value id follows it). */
const metricsField = (name: string, fieldId: number, keyId: number, value: string) => ({
  name,
  type: optional(intMap(`k${keyId}_v${keyId + 1}`, keyId, keyId + 1, value)),
  default: null,
  'field-id': fieldId,
});

/** A partition field of a spec, as the `partition` struct of a manifest holds it. */
export interface PartitionField {
  /** Partition field id (1000 and up). */
  fieldId: number;
  name: string;
  /** The Avro type of its value: a date partition holds days since the epoch. */
  avro: { type: 'int'; logicalType: 'date' } | 'string';
}

/** The manifest_entry schema (spec, "Manifest Entry Fields", v2) for a partition spec. */
export function manifestEntrySchema(partition: readonly PartitionField[]) {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: optional('long'), default: null, 'field-id': 1 },
      { name: 'sequence_number', type: optional('long'), default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: optional('long'), default: null, 'field-id': 4 },
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            {
              name: 'partition',
              'field-id': 102,
              type: {
                type: 'record',
                name: 'r102',
                fields: partition.map((p) => ({
                  name: p.name,
                  type: optional(p.avro),
                  default: null,
                  'field-id': p.fieldId,
                })),
              },
            },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            metricsField('value_counts', 109, 119, 'long'),
            metricsField('null_value_counts', 110, 121, 'long'),
            metricsField('lower_bounds', 125, 126, 'bytes'),
            metricsField('upper_bounds', 128, 129, 'bytes'),
            { name: 'sort_order_id', type: optional('int'), default: null, 'field-id': 140 },
          ],
        },
      },
    ],
  };
}

/** The manifest_file schema of a manifest list (spec, "Manifest Lists", v2). */
export const MANIFEST_FILE_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    {
      name: 'partitions',
      type: optional({
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            { name: 'contains_null', type: 'boolean', 'field-id': 509 },
            { name: 'contains_nan', type: optional('boolean'), default: null, 'field-id': 518 },
            { name: 'lower_bound', type: optional('bytes'), default: null, 'field-id': 510 },
            { name: 'upper_bound', type: optional('bytes'), default: null, 'field-id': 511 },
          ],
        },
      }),
      default: null,
      'field-id': 507,
    },
  ],
};

/** An Avro object container file of `records`, with Iceberg's key-value metadata in its header. */
export async function avroFile(
  schema: object,
  records: readonly object[],
  metadata: Record<string, string>,
): Promise<Buffer> {
  // Given the schema itself (not a Type), avsc writes it whole into the header, field ids included; the header is
  // written at once, so a manifest of no files is still a valid file. Longs are JS numbers: ids and counts stay < 2^53.
  const options = {
    codec: 'null',
    writeHeader: true,
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v)])),
  };
  const encoder = new avro.streams.BlockEncoder(schema as avro.Schema, options as never);
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('end', resolve);
    encoder.on('error', reject);
  });
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}
