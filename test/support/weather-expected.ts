// What each stage must hold for a given fixture, computed from the generator's records with the test's own
// reading of the rules (independent of the pipeline's code): if a stage drops or duplicates a record, counts differ.
import { generateWeatherRecords, type WeatherFixtureOptions } from '../../ingest/sources/weather/fixtures/generator.ts';

export interface ExpectedDaily {
  city: string;
  date: string;
  min: number;
  max: number;
  mean: number;
  precipitation: number;
  count: number;
}

export interface ExpectedWeather {
  served: number;
  /** Served copies of a well-formed record beyond its first: dropped by dedup before the stream. */
  streamDuplicates: number;
  /** Served copies of a malformed record beyond its first: dead-lettered once. */
  deadLetterDuplicates: number;
  deadLetters: number;
  bronze: number;
  silver: number;
  quarantine: number;
  daily: ExpectedDaily[];
  /** Payload texts of the rows silver must keep (one per station-hour, latest valid revision). */
  silverPayloads: Set<string>;
  /** Served records whose updated_at equals the newest one: what an incremental re-run (updated_since, inclusive) gets again. */
  servedAtNewestUpdate: number;
}

const nonEmpty = (v: unknown) => typeof v === 'string' && v.trim() !== '';
const isIsoTime = (v: unknown) => typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v));
const round2 = (x: number) => Math.round(x * 100) / 100;

export function expectedWeather(options: WeatherFixtureOptions): ExpectedWeather {
  // The source drops observer_email (declared sensitive) before anything is kept: what is kept is the rest.
  const records = generateWeatherRecords(options).map(({ observer_email: _dropped, ...kept }) => kept);
  const texts = records.map((r) => JSON.stringify(r));
  const newestUpdate = records
    .map((r) => String(r.updated_at))
    .sort()
    .at(-1);
  const distinct = [...new Set(texts)];
  const parsed = distinct.map((text) => ({ text, r: JSON.parse(text) as Record<string, unknown> }));
  const wellFormed = parsed.filter(({ r }) => nonEmpty(r.station_id) && nonEmpty(r.city) && isIsoTime(r.observed_at));

  const plausible = ({ r }: (typeof wellFormed)[number]) =>
    typeof r.temperature_c === 'number' &&
    r.temperature_c >= -90 &&
    r.temperature_c <= 60 &&
    typeof r.humidity_pct === 'number' &&
    r.humidity_pct >= 0 &&
    r.humidity_pct <= 100 &&
    typeof r.precipitation_mm === 'number' &&
    r.precipitation_mm >= 0;
  // Silver keeps the latest valid revision of each station-hour; every invalid revision is quarantined.
  const latest = new Map<string, (typeof wellFormed)[number]>();
  for (const item of wellFormed.filter(plausible)) {
    const key = `${item.r.station_id}|${new Date(item.r.observed_at as string).toISOString()}`;
    const seen = latest.get(key);
    if (!seen || String(item.r.updated_at) > String(seen.r.updated_at)) latest.set(key, item);
  }
  const silver = [...latest.values()];

  const days = new Map<string, { city: string; date: string; temps: number[]; precipitation: number }>();
  for (const { r } of silver) {
    const date = new Date(r.observed_at as string).toISOString().slice(0, 10);
    const key = `${r.city}|${date}`;
    const day = days.get(key) ?? { city: r.city as string, date, temps: [], precipitation: 0 };
    day.temps.push(r.temperature_c as number);
    day.precipitation += r.precipitation_mm as number;
    days.set(key, day);
  }
  const daily = [...days.values()]
    .map((d) => ({
      city: d.city,
      date: d.date,
      min: Math.min(...d.temps),
      max: Math.max(...d.temps),
      mean: round2(d.temps.reduce((a, b) => a + b, 0) / d.temps.length),
      precipitation: round2(d.precipitation),
      count: d.temps.length,
    }))
    .sort((a, b) => (a.city + a.date < b.city + b.date ? -1 : 1));

  const wellFormedTexts = new Set(wellFormed.map((w) => w.text));
  const copies = (keep: (text: string) => boolean) => texts.filter(keep).length - distinct.filter(keep).length;
  return {
    served: texts.length,
    streamDuplicates: copies((t) => wellFormedTexts.has(t)),
    deadLetterDuplicates: copies((t) => !wellFormedTexts.has(t)),
    deadLetters: distinct.length - wellFormed.length,
    bronze: wellFormed.length,
    silver: silver.length,
    quarantine: wellFormed.length - wellFormed.filter(plausible).length,
    daily,
    silverPayloads: new Set(silver.map((s) => s.text)),
    servedAtNewestUpdate: records.filter((r) => r.updated_at === newestUpdate).length,
  };
}
