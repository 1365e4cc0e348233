// A lake file's Parquet schema as an Iceberg schema (format spec, "Schemas and Data Types"), with field ids that stay the
// same across versions: a column keeps the id it was first given, a new one gets the next. Data files carry no field
// ids, so the table's `schema.name-mapping.default` maps names to them. Also Iceberg's single-value serialization of
// bounds (spec, Appendix D), for the statistics the catalog keeps.
import type { SchemaTree } from 'hyparquet';

export type IcebergType = string | IcebergStruct | IcebergList | IcebergMap;

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
}

export interface IcebergStruct {
  type: 'struct';
  fields: IcebergField[];
}

export interface IcebergList {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface IcebergMap {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export interface IcebergSchema extends IcebergStruct {
  'schema-id': number;
}

/** Ids by the path of a field (`a`, `a.b`, `tags.element`, `attrs.key`): what a table's earlier schemas gave out. */
export class FieldIds {
  private readonly ids = new Map<string, number>();
  private last: number;

  constructor(schemas: readonly IcebergStruct[] = [], lastColumnId = 0) {
    this.last = lastColumnId;
    for (const schema of schemas) this.learn(schema.fields, '');
  }

  get lastColumnId(): number {
    return this.last;
  }

  /** The id of a path, a new one the first time it is seen. */
  idOf(path: string): number {
    let id = this.ids.get(path);
    if (id === undefined) {
      id = ++this.last;
      this.ids.set(path, id);
    }
    return id;
  }

  private learn(fields: readonly IcebergField[], prefix: string): void {
    for (const field of fields) {
      const path = `${prefix}${field.name}`;
      this.ids.set(path, field.id);
      this.last = Math.max(this.last, field.id);
      this.learnType(field.type, path);
    }
  }

  private learnType(type: IcebergType, path: string): void {
    if (typeof type === 'string') return;
    if (type.type === 'struct') this.learn(type.fields, `${path}.`);
    else if (type.type === 'list') {
      this.ids.set(`${path}.element`, type['element-id']);
      this.last = Math.max(this.last, type['element-id']);
      this.learnType(type.element, `${path}.element`);
    } else {
      this.ids.set(`${path}.key`, type['key-id']);
      this.ids.set(`${path}.value`, type['value-id']);
      this.last = Math.max(this.last, type['key-id'], type['value-id']);
      this.learnType(type.key, `${path}.key`);
      this.learnType(type.value, `${path}.value`);
    }
  }
}

/** The Iceberg fields of a Parquet file's top-level columns, ids from `ids`. */
export function icebergFields(root: SchemaTree, ids: FieldIds): IcebergField[] {
  return root.children.map((child) => fieldOf(child, child.element.name, ids));
}

function fieldOf(node: SchemaTree, path: string, ids: FieldIds): IcebergField {
  return {
    id: ids.idOf(path),
    name: node.element.name,
    required: node.element.repetition_type === 'REQUIRED',
    type: typeOf(node, path, ids),
  };
}

function typeOf(node: SchemaTree, path: string, ids: FieldIds): IcebergType {
  const e = node.element;
  const logical = e.logical_type?.type ?? e.converted_type;
  if (logical === 'LIST' && node.children.length === 1) {
    const repeated = node.children[0]!;
    const element = repeated.children.length === 1 ? repeated.children[0]! : repeated;
    return {
      type: 'list',
      'element-id': ids.idOf(`${path}.element`),
      element: typeOf(element, `${path}.element`, ids),
      'element-required': element.element.repetition_type === 'REQUIRED',
    };
  }
  if ((logical === 'MAP' || logical === 'MAP_KEY_VALUE') && node.children.length === 1) {
    const [key, value] = node.children[0]!.children as [SchemaTree, SchemaTree];
    return {
      type: 'map',
      'key-id': ids.idOf(`${path}.key`),
      key: typeOf(key, `${path}.key`, ids),
      'value-id': ids.idOf(`${path}.value`),
      value: typeOf(value, `${path}.value`, ids),
      'value-required': value.element.repetition_type === 'REQUIRED',
    };
  }
  if (node.children.length) {
    return { type: 'struct', fields: node.children.map((c) => fieldOf(c, `${path}.${c.element.name}`, ids)) };
  }
  return primitiveOf(node);
}

function primitiveOf({ element: e }: SchemaTree): string {
  const logical = e.logical_type;
  if (logical?.type === 'DECIMAL' || e.converted_type === 'DECIMAL')
    return `decimal(${logical?.type === 'DECIMAL' ? logical.precision : e.precision}, ${logical?.type === 'DECIMAL' ? logical.scale : (e.scale ?? 0)})`;
  if (logical?.type === 'TIMESTAMP') return logical.isAdjustedToUTC ? 'timestamptz' : 'timestamp';
  if (e.converted_type === 'TIMESTAMP_MICROS' || e.converted_type === 'TIMESTAMP_MILLIS') return 'timestamptz';
  if (logical?.type === 'DATE' || e.converted_type === 'DATE') return 'date';
  if (logical?.type === 'TIME' || e.converted_type === 'TIME_MICROS') return 'time';
  if (logical?.type === 'UUID') return 'uuid';
  switch (e.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
      return 'int';
    case 'INT64':
      return 'long';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BYTE_ARRAY':
      return logical?.type === 'STRING' ||
        logical?.type === 'JSON' ||
        e.converted_type === 'UTF8' ||
        e.converted_type === 'JSON'
        ? 'string'
        : 'binary';
    case 'FIXED_LEN_BYTE_ARRAY':
      return `fixed[${e.type_length ?? 0}]`;
    default:
      // INT96 (legacy timestamps): DuckDB never writes it.
      return 'binary';
  }
}

/** `schema.name-mapping.default`: each field id with the name the data files know it by (they carry no ids). */
export function nameMapping(fields: readonly IcebergField[]): unknown[] {
  return fields.map((f) => {
    const nested = nestedMapping(f.type);
    return { 'field-id': f.id, names: [f.name], ...(nested.length ? { fields: nested } : {}) };
  });
}

function nestedMapping(type: IcebergType): unknown[] {
  if (typeof type === 'string') return [];
  if (type.type === 'struct') return nameMapping(type.fields);
  if (type.type === 'list')
    return [{ 'field-id': type['element-id'], names: ['element'], ...nestedFields(type.element) }];
  return [
    { 'field-id': type['key-id'], names: ['key'], ...nestedFields(type.key) },
    { 'field-id': type['value-id'], names: ['value'], ...nestedFields(type.value) },
  ];
}

const nestedFields = (type: IcebergType) => {
  const nested = nestedMapping(type);
  return nested.length ? { fields: nested } : {};
};

const DAY_MILLIS = 86_400_000;

/**
 * A bound as Iceberg serializes it (Appendix D), from the text the catalog keeps; undefined for a type or value it
 * cannot say exactly (a bound must never be tighter than the data).
 */
export function boundOf(type: IcebergType, value: unknown): Buffer | undefined {
  if (value === null || value === undefined || typeof type !== 'string') return undefined;
  const text = String(value);
  switch (type) {
    case 'boolean':
      return text === 'true' || text === 'false' ? Buffer.from([text === 'true' ? 1 : 0]) : undefined;
    case 'int': {
      const n = Number(text);
      return Number.isInteger(n) ? int32LE(n) : undefined;
    }
    case 'long': {
      if (!/^-?\d+(\.0+)?$/.test(text)) return undefined;
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(text.replace(/\.0+$/, '')));
      return b;
    }
    case 'double': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) return undefined;
      const b = Buffer.alloc(8);
      b.writeDoubleLE(n);
      return b;
    }
    case 'date': {
      const millis = Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
      if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(millis)) return undefined;
      return int32LE(Math.floor(millis / DAY_MILLIS));
    }
    case 'timestamp':
    case 'timestamptz': {
      const micros = microsOf(text);
      if (micros === undefined) return undefined;
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(micros);
      return b;
    }
    case 'string':
      return Buffer.from(text, 'utf8');
    default:
      return undefined;
  }
}

/** Microseconds since the epoch of a time as DuckDB prints it (`2026-11-01 09:00:00.123456+00`), UTC when it names no zone. */
function microsOf(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[4] === undefined || m[4] === 'Z' ? 'Z' : m[4].length === 3 ? `${m[4]}:00` : m[4];
  const millis = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(millis)) return undefined;
  return BigInt(millis) * 1000n + BigInt((m[3] ?? '').padEnd(6, '0') || '0');
}

/** A 4-byte little-endian int: Iceberg's serialization of int and date values (days since the epoch). */
export function int32LE(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

/** Days since the epoch of a date (what a date partition holds). */
export const daysOf = (date: string) => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MILLIS);
