// The files `pnpm new:source` writes: a source folder (settings, collector, parser, sample fixture, test) whose
// records are `{ id, name, amount, updated_at }`, for each kind of collector. Every file runs as generated.
/** What a new source collects from; each kind has its own template. */
export const SOURCE_KINDS = ['files', 'http', 'web', 'database'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface SourceTemplate {
  name: string;
  kind: SourceKind;
  /** Default port of the fixture a server-backed kind listens on. */
  port: number;
}

/** `shop_orders` → `shopOrders`: the identifiers generated code uses for a source. */
export const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export const settingsFile = ({ name, kind, port }: SourceTemplate) => {
  const v = `${camel(name)}Settings`;
  const shape: Record<SourceKind, string> = {
    files: 'inbox: z.string().optional()',
    http: `url: urlSetting('http://127.0.0.1:${port}')`,
    web: `url: urlSetting('http://127.0.0.1:${port}')`,
    database: `databaseUrl: z.url().optional(),\n    table: z.string().regex(/^\\w+(\\.\\w+)?$/, 'use table or schema.table').default('public.${name}')`,
  };
  const described: Record<SourceKind, string> = {
    files: `inbox: 'Folder files arrive in (default: <data dir>/inbox/${name})'`,
    http: `url: 'Base URL of the API (the fixture by default: \`pnpm fixtures:serve --source ${name}\`)'`,
    web: `url: 'Base URL of the site (the fixture by default: \`pnpm fixtures:serve --source ${name}\`)'`,
    database: `databaseUrl: 'PostgreSQL database holding the table (default: DATABASE_URL)', table: 'The table, [schema.]table'`,
  };
  const zod = kind === 'files' || kind === 'database' ? "import { z } from 'zod';\n" : '';
  const helper = kind === 'http' || kind === 'web' ? 'declareSettings, urlSetting' : 'declareSettings';
  return `// The ${name} source's settings (\`pnpm sources --settings\`).
${zod}import { ${helper} } from '../../source-settings.ts';

export const ${v} = declareSettings({
  source: '${name}',
  shape: {
    ${shape[kind]},
  },
  describe: { ${described[kind]} },
});
`;
};

const collectBody: Record<SourceKind, (t: SourceTemplate) => string> = {
  files: ({ name }) => `    const settings = ${camel(name)}Settings.read(context.env);
    const config = context.config!;
    yield* filesCollector({
      inbox: inboxPath(config, '${name}', settings.inbox),
      maxRecordBytes: config.maxEventBytes,
    })();`,
  http: ({ name }) => `    const base = context.baseUrl ?? ${camel(name)}Settings.read(context.env).url;
    yield* httpCollector({ url: \`\${base}/records\`, recordsPath: 'data', pagination: { kind: 'next-url', nextPath: 'next' } })(context);`,
  web: ({ name }) => `    const base = context.baseUrl ?? ${camel(name)}Settings.read(context.env).url;
    yield* webCollector({
      render: 'static',
      startUrls: [\`\${base}/records\`],
      extract: ($) =>
        $('table#records tbody tr')
          .toArray()
          .map((tr) => {
            const [id, name, amount, updated_at] = $(tr).find('td').toArray().map((td) => $(td).text().trim());
            return { id, name, amount, updated_at };
          }),
    })();`,
  database: ({ name }) => `    const settings = ${camel(name)}Settings.read(context.env);
    yield* databaseCollector({
      connectionString: settings.databaseUrl ?? context.config!.databaseUrl,
      table: settings.table,
      cursorColumn: 'updated_at',
      keyColumn: 'id',
    })(context);`,
};

const collectorImport: Record<SourceKind, string> = {
  files:
    "import { filesCollector } from '../../collectors/files/files-collector.ts';\nimport { inboxPath } from '../../source-settings.ts';",
  http: "import { httpCollector } from '../../collectors/http/http-collector.ts';",
  web: "import { webCollector } from '../../collectors/web/web-collector.ts';",
  database: "import { databaseCollector } from '../../collectors/database/database-collector.ts';",
};

export const sourceFile = (
  t: SourceTemplate,
) => `// Source \`${t.name}\` (a ${t.kind} source made by \`pnpm new:source\`): records { id, name, amount, updated_at }, keyed by id.
${collectorImport[t.kind]}
import type { Collected, CollectContext, ParseResult, SourceDefinition } from '../../source.ts';
import { ${camel(t.name)}Settings } from './settings.ts';

/** The natural key is the record's id; its time is updated_at. Anything else is dead-lettered with the reason. */
export function parse${camel(`_${t.name}`)}(raw: string): ParseResult {
  const record = JSON.parse(raw) as Record<string, unknown>;
  const id = record.id;
  if ((typeof id !== 'string' && typeof id !== 'number') || String(id).trim() === '') return { ok: false, reason: 'missing field id' };
  const at = new Date(String(record.updated_at));
  if (Number.isNaN(at.getTime())) return { ok: false, reason: \`updated_at \${JSON.stringify(record.updated_at)} is not a time\` };
  return { ok: true, naturalKey: String(id), observedAt: at.toISOString() };
}

export const ${camel(t.name)}Source = {
  name: '${t.name}',
  description: '${t.name} records (made by pnpm new:source --kind ${t.kind}; describe what it collects here)',
  schemaVersion: 1,
  schedule: '*/15 * * * *',
  settings: ${camel(t.name)}Settings,
  async *collect(context: CollectContext): AsyncGenerator<Collected> {
${collectBody[t.kind](t)}
  },
  parse: parse${camel(`_${t.name}`)},${t.kind === 'files' ? `\n  inbox: (config, env) => inboxPath(config, '${t.name}', ${camel(t.name)}Settings.read(env).inbox),` : ''}
  // Personal data in the records? Protect it before anything is kept (docs/security.md), e.g.
  // sensitive: { email: 'encrypt', phone: 'hash', note: 'drop' },
} satisfies SourceDefinition;
`;

/** Sample records: four good ones (one breaks the silver table's rule) and one without an id, dead-lettered. */
export const sampleFile = (
  t: SourceTemplate,
) => `// Sample records of the ${t.name} source, as its collector yields them (every value a string, as in a CSV).
export const SAMPLE = [
  { id: '1', name: 'alpha', amount: '12.5', updated_at: '2026-11-01T08:00:00Z' },
  { id: '2', name: 'beta', amount: '7', updated_at: '2026-11-01T09:00:00Z' },
  { id: '3', name: 'gamma', amount: '-4', updated_at: '2026-11-02T10:00:00Z' },
  { id: '4', name: 'delta', amount: '30.25', updated_at: '2026-11-02T11:00:00Z' },
  { id: '', name: 'no id', amount: '1', updated_at: '2026-11-02T12:00:00Z' },
];

/** The sample as CSV, for the inbox of a files source. */
export const sampleCsv = () =>
  \`\${['id,name,amount,updated_at', ...SAMPLE.map((r) => [r.id, r.name, r.amount, r.updated_at].join(','))].join('\\n')}\\n\`;
`;
