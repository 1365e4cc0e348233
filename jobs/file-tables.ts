// The silver table of each declared file source, with no SQL to write: silver.<name> holds the file's own columns,
// each payload value cast to its declared type (docs/sources.md, "Your own files"). A value that does not cast sends
// its row to the quarantine with the raw text. A folder silver/tables/<name>/ of the same name replaces it.
import { sqlIdent, sqlString } from '../core/duckdb.ts';
import type { FileSourceDeclaration, FileSources } from '../ingest/file-sources.ts';
import type { TableDefinition } from './table-spec.ts';

/** The column holding each row's envelope id: `event_id`, unless the file has a column of that name. */
export const eventIdColumn = (declaration: Pick<FileSourceDeclaration, 'columns'>): string =>
  'event_id' in declaration.columns ? 'strata_event_id' : 'event_id';

const TEXTUAL = /^(VARCHAR|TEXT|STRING|CHAR|BPCHAR)$/i;

/** The SELECT that types a file source's bronze payloads. */
export function fileTableSql(name: string, declaration: FileSourceDeclaration): string {
  const columns = keptColumns(declaration);
  const typed = JSON.stringify(Object.fromEntries(columns));
  const asText = JSON.stringify(Object.fromEntries(columns.map(([c]) => [c, 'VARCHAR'])));
  // A CSV cell is text: an empty one is NULL, as DuckDB's read_csv reads it.
  const csv = declaration.format === 'csv';
  const value = (column: string, type: string) => {
    const field = `struct_extract(__typed, ${sqlString(column)})`;
    return csv && TEXTUAL.test(type) ? `nullif(${field}, '')` : field;
  };
  const text = (column: string) => {
    const field = `struct_extract(__text, ${sqlString(column)})`;
    return csv ? `nullif(${field}, '')` : field;
  };
  const select = columns.map(([column, type]) => `  ${value(column, type)} as ${sqlIdent(column)},`);
  const typesOk = columns.map(([column, type]) => `(${text(column)} is null or ${value(column, type)} is not null)`);
  return `-- silver.${name}, generated from its declaration (STRATA_FILE_SOURCES): every column cast to its declared type.
select
${select.join('\n')}
  event_id as ${sqlIdent(eventIdColumn(declaration))},
  ${typesOk.join('\n    and ')} as _types_ok,
  payload as _raw
from (
  select json_transform(payload, ${sqlString(typed)}) as __typed,
         json_transform(payload, ${sqlString(asText)}) as __text,
         event_id,
         payload
  from bronze.${sqlIdent(name)}
)
`;
}

/**
 * The columns silver.<name> holds, with their types: a dropped sensitive column is gone, an encrypted or hashed one is
 * text (ciphertext or a hash, whatever the file's type was).
 */
function keptColumns(declaration: FileSourceDeclaration): [string, string][] {
  const sensitive = declaration.sensitive ?? {};
  return Object.entries(declaration.columns)
    .filter(([column]) => sensitive[column] !== 'drop')
    .map(([column, type]) => [column, sensitive[column] ? 'VARCHAR' : type]);
}

const SENSITIVE_NOTE = { encrypt: 'encrypted (strata_decrypt reads it)', hash: 'a keyed hash', drop: '' } as const;

/** The definition of a file source's silver table. */
export function fileTable(name: string, declaration: FileSourceDeclaration, declaredIn: string): TableDefinition {
  const eventId = eventIdColumn(declaration);
  const keyed = declaration.key.length > 0;
  return {
    name,
    layer: 'silver',
    description: `Rows of the files of source ${name} (${declaration.format}), typed as declared in ${declaredIn}`,
    from: [`bronze.${name}`],
    ...(keyed
      ? {
          primaryKey: declaration.key,
          writeMode: 'merge',
          latestBy: declaration.time
            ? `${sqlIdent(declaration.time)} desc nulls last, ${sqlIdent(eventId)} desc`
            : undefined,
        }
      : { primaryKey: [eventId], writeMode: 'append' }),
    expectations: {
      values_have_their_types: { check: '_types_ok', action: 'quarantine' },
    },
    columns: {
      ...Object.fromEntries(
        keptColumns(declaration).map(([c, type]) => {
          const sensitivity = declaration.sensitive?.[c];
          return [
            c,
            sensitivity
              ? `${declaration.columns[c]} in the file, ${SENSITIVE_NOTE[sensitivity]}`
              : `${type}, from the file`,
          ];
        }),
      ),
      [eventId]: 'Envelope id of the bronze event this row came from',
    },
    sql: fileTableSql(name, declaration),
    sqlPath: declaredIn,
  };
}

/** The silver tables of every declared file source, leaving out those a table folder of the same name replaces. */
export function fileTables(sources: FileSources, declaredIn: string, folders: readonly string[]): TableDefinition[] {
  return Object.entries(sources)
    .filter(([name]) => !folders.includes(name))
    .map(([name, declaration]) => fileTable(name, declaration, declaredIn));
}
