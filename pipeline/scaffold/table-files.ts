// The files of a table folder the scaffolds write: the silver table of a new source (typed, merged by id, a
// quarantine rule) and, for `pnpm new:table`, a table passing its input through, each with its table test.

/** The silver table `pnpm new:source` adds for its source. */
export const sourceTableFiles = (name: string): Record<string, string> => ({
  [`${name}.table.ts`]: `// Silver \`${name}\`: the ${name} source's records, typed, one row per id (the latest update wins).
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: '${name}',
  layer: 'silver',
  description: '${name} records, typed: one row per id, the latest update wins.',
  from: ['bronze.${name}'],
  primaryKey: ['id'],
  writeMode: 'merge',
  latestBy: 'updated_at desc, event_id desc',
  expectations: {
    amount_non_negative: { check: 'amount >= 0', action: 'quarantine' },
  },
  columns: {
    id: 'Record id (the natural key)',
    name: 'Name',
    amount: 'Amount',
    updated_at: 'When the record last changed (UTC)',
    event_id: 'Envelope id of the bronze event this row came from',
  },
} satisfies TableSpec;
`,
  [`${name}.sql`]: `-- Types the raw JSON payloads of bronze.${name}; values that do not cast become NULL and meet the expectations.
select
  json_extract_string(payload, '$.id')                                  as id,
  json_extract_string(payload, '$.name')                                as name,
  try_cast(json_extract_string(payload, '$.amount') as double)          as amount,
  try_cast(json_extract_string(payload, '$.updated_at') as timestamptz) as updated_at,
  event_id,
  payload as _raw
from bronze.${name}
`,
  [`${name}.test.ts`]: `// Given the ${name} sample, the rows silver.${name} keeps; then an update replaces a row in the next run.
import { SAMPLE } from '../../../ingest/sources/${name}/fixtures/sample.ts';
import { tableTest } from '../../../pipeline/table-test.ts';

tableTest({
  table: 'silver.${name}',
  cases: [
    {
      name: 'types the sample, quarantines a negative amount, and merges a later update by id',
      batches: [
        {
          given: { ${name}: SAMPLE },
          expect: {
            rows: [
              { id: '1', name: 'alpha', amount: 12.5 },
              { id: '2', name: 'beta', amount: 7 },
              { id: '4', name: 'delta', amount: 30.25 },
            ],
            quarantine: 1,
          },
        },
        {
          given: { ${name}: [{ id: '2', name: 'beta', amount: '8', updated_at: '2026-11-03T09:00:00Z' }] },
          expect: {
            rows: [
              { id: '1', name: 'alpha', amount: 12.5 },
              { id: '2', name: 'beta', amount: 8 },
              { id: '4', name: 'delta', amount: 30.25 },
            ],
            quarantine: 1,
          },
        },
      ],
    },
  ],
});
`,
});

export interface PassThroughTable {
  layer: 'silver' | 'gold';
  name: string;
  /** The table it reads, `<layer>.<name>`. */
  from: string;
  primaryKey: string[];
  /** The source whose sample feeds the test (the root of the input's lineage). */
  source: string;
}

/** A table `pnpm new:table` adds: its input's rows, to be reshaped by its SQL; its test checks it holds them all. */
export const passThroughFiles = (t: PassThroughTable): Record<string, string> => {
  const fromBronze = t.from.startsWith('bronze.');
  const select = fromBronze ? 'natural_key, observed_at, event_id, payload as _raw' : '*';
  return {
    [`${t.name}.table.ts`]: `// ${t.layer[0]!.toUpperCase()}${t.layer.slice(1)} \`${t.name}\`, made by \`pnpm new:table\`: it reads ${t.from}; shape it in ${t.name}.sql.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: '${t.name}',
  layer: '${t.layer}',
  description: 'Reads ${t.from}; say here what a row is.',
  from: ['${t.from}'],
  primaryKey: ${JSON.stringify(t.primaryKey).replaceAll('"', "'").replaceAll(',', ', ')},
  writeMode: 'replace',
} satisfies TableSpec;
`,
    [`${t.name}.sql`]: `-- Every row of ${t.from}${fromBronze ? ', one row per event' : ''}; reshape it here.
select ${select}
from ${t.from}
`,
    [`${t.name}.test.ts`]: `// Given the ${t.source} sample, ${t.layer}.${t.name} holds every row of ${t.from}: edit as the SQL changes.
import { SAMPLE } from '../../../ingest/sources/${t.source}/fixtures/sample.ts';
import { tableTest } from '../../../pipeline/table-test.ts';

tableTest({
  table: '${t.layer}.${t.name}',
  cases: [{ name: 'holds its input', given: { ${t.source}: SAMPLE }, expect: { sameRowsAs: '${t.from}' } }],
});
`,
  };
};
