// Source `weather`: hourly observations per city from a REST API (the fixture API in the demo and tests).
import { httpCollector } from '../../collectors/http/http-collector.ts';
import type { ParseResult, SourceDefinition } from '../../source.ts';
import { FIXTURE_PATH } from './fixtures/server.ts';
import { weatherSettings } from './settings.ts';

/** Natural key `<station_id>|<observed_at>`: one reading per station and hour; a correction shares it. */
export function parseWeather(raw: string): ParseResult {
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (!record || typeof record !== 'object' || Array.isArray(record)) return { ok: false, reason: 'not a JSON object' };
  const r = record as Record<string, unknown>;
  for (const field of ['station_id', 'city', 'observed_at'] as const) {
    if (typeof r[field] !== 'string' || !(r[field] as string).trim())
      return { ok: false, reason: `missing field ${field}` };
  }
  const millis = Date.parse(r.observed_at as string);
  if (!/^\d{4}-\d\d-\d\dT/.test(r.observed_at as string) || Number.isNaN(millis)) {
    return { ok: false, reason: `observed_at ${JSON.stringify(r.observed_at)} is not an ISO-8601 timestamp` };
  }
  const observedAt = new Date(millis).toISOString();
  return { ok: true, naturalKey: `${r.station_id as string}|${observedAt}`, observedAt };
}

export const weatherSource = {
  name: 'weather',
  description: 'Hourly weather observations per city (temperature, humidity, wind, precipitation)',
  schemaVersion: 1,
  schedule: '5 * * * *',
  settings: weatherSettings,
  collect(context) {
    const base = context.baseUrl ?? weatherSettings.read(context.env).url;
    // The API's own paging links drive the collector; only readings updated since the last run are asked for.
    return httpCollector({
      url: `${base}${FIXTURE_PATH}?page=1&page_size=250`,
      recordsPath: 'data',
      pagination: { kind: 'next-url', nextPath: 'next' },
      incremental: { param: 'updated_since', field: 'updated_at' },
    })(context);
  },
  parse: parseWeather,
  // The observer's email is of no use downstream: removed before anything is kept (docs/security.md).
  sensitive: { observer_email: 'drop' },
} satisfies SourceDefinition;
