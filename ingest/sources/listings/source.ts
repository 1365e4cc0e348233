// Source `listings`: real-estate listings from three places at once — a paginated JSON API, CSV/JSON dumps dropped in
// an inbox, and a legacy PostgreSQL table. Each origin keeps its own shape and units in bronze (silver unifies them);
// the origin is recognised from the record's shape, and the natural key is `<origin>:<id>`. Agency emails and phones
// are encrypted at the collector (docs/security.md).
import { databaseCollector } from '../../collectors/database/database-collector.ts';
import { filesCollector } from '../../collectors/files/files-collector.ts';
import { httpCollector } from '../../collectors/http/http-collector.ts';
import type { Collected, CollectContext, ParseResult, SourceDefinition } from '../../source.ts';
import { listingsInbox, listingsSettings } from './settings.ts';

const ORIGINS = [
  { origin: 'api', id: 'listing_id', time: 'updated_at' },
  { origin: 'legacy', id: 'legacy_id', time: 'modified_at' },
  { origin: 'agency-csv', id: 'ref', time: 'updated' },
  { origin: 'partner-json', id: 'id', time: 'updated' },
] as const;

export function parseListing(raw: string): ParseResult {
  const r = JSON.parse(raw) as Record<string, unknown>;
  const shape = ORIGINS.find((o) => o.id in r && o.time in r);
  if (!shape)
    return { ok: false, reason: 'record matches none of the listing origins (api, legacy, agency CSV, partner JSON)' };
  const id = r[shape.id];
  if ((typeof id !== 'string' && typeof id !== 'number') || id === '')
    return { ok: false, reason: `missing field ${shape.id} (${shape.origin})` };
  const at = new Date(String(r[shape.time]));
  if (Number.isNaN(at.getTime()))
    return { ok: false, reason: `${shape.time} ${JSON.stringify(r[shape.time])} is not a date (${shape.origin})` };
  return { ok: true, naturalKey: `${shape.origin}:${id}`, observedAt: at.toISOString() };
}

export const listingsSource = {
  name: 'listings',
  description: 'Real-estate listings from a JSON API, agency dumps (CSV/JSON) and a legacy PostgreSQL table',
  schemaVersion: 1,
  schedule: '*/30 * * * *',
  async *collect(context: CollectContext): AsyncGenerator<Collected> {
    // The runner always passes its configuration: the inbox and the database default to places inside it.
    const config = context.config!;
    const settings = listingsSettings.read(context.env);
    const base = context.baseUrl ?? settings.url;
    yield* httpCollector({
      url: `${base}/api/listings`,
      recordsPath: '',
      pagination: { kind: 'offset', param: 'offset', limitParam: 'limit', limit: 15 },
    })(context);
    yield* filesCollector({ inbox: listingsInbox(config, settings), maxRecordBytes: config.maxEventBytes })();
    yield* databaseCollector({
      connectionString: settings.databaseUrl ?? config.databaseUrl,
      table: settings.table,
      cursorColumn: 'modified_at',
      keyColumn: 'row_id',
    })(context);
  },
  settings: listingsSettings,
  inbox: (config, env) => listingsInbox(config, listingsSettings.read(env)),
  parse: parseListing,
  // Agencies' contacts are personal data: encrypted before anything is kept. The partner JSON nests them under agency.
  sensitive: {
    agency_email: 'encrypt',
    agency_phone: 'encrypt',
    'agency.email': 'encrypt',
    'agency.phone': 'encrypt',
  },
} satisfies SourceDefinition;
