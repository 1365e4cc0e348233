// Generated bad input for the sources, with what must become of each record, decided here from the record itself
// (not by the pipeline's code): weather readings served by its API, listing lines dropped in the inbox as NDJSON.
// Kinds: broken JSON, wrong types, invalid UTF-8, 10 MB records, missing or unreadable fields, exact repeats; a few
// good records go with them so "stored" is not trivially zero.
import { prng } from '../../ingest/sources/weather/fixtures/generator.ts';

export type Fate = 'stored' | 'quarantined' | 'dead-lettered' | 'duplicate';

export interface Expected {
  read: number;
  stored: number;
  quarantined: number;
  deadLettered: number;
  duplicates: number;
  /** Dead letters by the kind of record that caused them. */
  deadLetterKinds: Record<string, number>;
}

export interface BadInput {
  /** Items of the weather API's `data` array, in serving order. */
  weather: unknown[];
  /** The bytes of one NDJSON file for the listings inbox. */
  listingLines: Buffer;
  expected: { weather: Expected; listings: Expected };
  /** Records generated malformed (repeats of them excluded). */
  malformed: number;
}

export const HUGE_BYTES = 10 * 1024 * 1024;

interface Item<T> {
  value: T;
  kind: string;
  fate: Fate;
}

function tally<T>(items: Item<T>[]): Expected {
  const count = (fate: Fate) => items.filter((i) => i.fate === fate).length;
  const deadLetterKinds: Record<string, number> = {};
  for (const i of items) if (i.fate === 'dead-lettered') deadLetterKinds[i.kind] = (deadLetterKinds[i.kind] ?? 0) + 1;
  return {
    read: items.length,
    stored: count('stored'),
    quarantined: count('quarantined'),
    deadLettered: count('dead-lettered'),
    duplicates: count('duplicate'),
    deadLetterKinds,
  };
}

/** Each item may come again later, exactly (a repeat: dropped by dedup, or kept once as a dead letter). */
function withRepeats<T>(items: Item<T>[], random: () => number, rate: number): Item<T>[] {
  const out = [...items];
  for (const item of items) {
    if (random() < rate) out.splice(Math.floor(random() * (out.length + 1)), 0, { ...item, fate: 'duplicate' });
  }
  // A repeat must come after its first: re-order so the first copy of each value is the one not marked duplicate.
  const seen = new Set<T>();
  return out.map((item) => {
    const first = !seen.has(item.value);
    seen.add(item.value);
    return {
      ...item,
      fate: first
        ? item.fate === 'duplicate'
          ? items.find((i) => i.value === item.value)!.fate
          : item.fate
        : 'duplicate',
    };
  });
}

export function generateBadInput(options: { malformed?: number; good?: number; seed?: number } = {}): BadInput {
  const malformed = options.malformed ?? 10_000;
  const good = options.good ?? 1_000;
  const random = prng(options.seed ?? 4242);
  const pick = <K extends string>(kinds: readonly K[]) => kinds[Math.floor(random() * kinds.length)]!;
  const hour = (i: number) => new Date(Date.UTC(2026, 10, 1) + (i % 2000) * 3_600_000).toISOString();
  const huge = (i: number) => `${i}:`.padEnd(HUGE_BYTES, 'x');

  // Weather readings: every one on its own station, so no two share a key (silver keeps each good one).
  const weather: Item<unknown>[] = [];
  const reading = (i: number) => ({
    station_id: `FZ-${i}`,
    city: 'Paris',
    country: 'FR',
    observed_at: hour(i),
    temperature_c: 9.5,
    humidity_pct: 80,
    wind_kph: 12,
    precipitation_mm: 0,
    updated_at: hour(i),
  });
  const weatherKinds = [
    'temperature-not-number',
    'humidity-not-number',
    'precipitation-not-number',
    'station-id-number',
    'time-unreadable',
    'not-an-object',
  ] as const;
  const weatherBad = Math.floor(malformed / 2);
  for (let i = 0; i < good; i++) weather.push({ value: reading(i), kind: 'good', fate: 'stored' });
  for (let i = good; i < good + weatherBad; i++) {
    const r = reading(i);
    const kind = i - good < 2 ? 'huge' : pick(weatherKinds);
    const value: Record<string, (r: ReturnType<typeof reading>) => Item<unknown>> = {
      huge: () => ({ value: { ...r, notes: huge(i) }, kind, fate: 'dead-lettered' }),
      'temperature-not-number': () => ({ value: { ...r, temperature_c: 'N/A' }, kind, fate: 'quarantined' }),
      'humidity-not-number': () => ({ value: { ...r, humidity_pct: 'wet' }, kind, fate: 'quarantined' }),
      'precipitation-not-number': () => ({ value: { ...r, precipitation_mm: { mm: 2 } }, kind, fate: 'quarantined' }),
      'station-id-number': () => ({ value: { ...r, station_id: i }, kind, fate: 'dead-lettered' }),
      'time-unreadable': () => ({
        value: { ...r, observed_at: random() < 0.5 ? 'yesterday 14:00' : 1_700_000_000 },
        kind,
        fate: 'dead-lettered',
      }),
      'not-an-object': () => ({
        value: random() < 0.5 ? [i, 'Paris'] : `reading ${i} unavailable`,
        kind,
        fate: 'dead-lettered',
      }),
    };
    weather.push(value[kind]!(r));
  }

  // Listing lines in a partner's JSON shape: bytes, so a line can be anything a file can hold.
  const lines: Item<Buffer>[] = [];
  const listing = (i: number) => ({
    id: `FZ-L${i}`,
    city: 'Lyon',
    price: { amount: 250_000 + i, currency: 'EUR' },
    area: { value: 60, unit: 'm2' },
    updated: hour(i),
  });
  const line = (value: unknown) => Buffer.from(JSON.stringify(value));
  const listingKinds = [
    'broken-json',
    'invalid-utf8',
    'missing-id',
    'date-unreadable',
    'price-not-number',
    'area-not-number',
  ] as const;
  const listingBad = malformed - weatherBad;
  const listingGood = Math.floor(good / 2);
  for (let i = 0; i < listingGood; i++) lines.push({ value: line(listing(i)), kind: 'good', fate: 'stored' });
  for (let i = listingGood; i < listingGood + listingBad; i++) {
    const l = listing(i);
    const kind = i - listingGood < 2 ? 'huge' : pick(listingKinds);
    const text = JSON.stringify(l);
    const value: Record<string, () => Item<Buffer>> = {
      huge: () => ({ value: line({ ...l, description: huge(i) }), kind, fate: 'dead-lettered' }),
      // Cut anywhere past the first quote: never a whole object.
      'broken-json': () => ({
        value: Buffer.from(
          random() < 0.5 ? text.slice(0, 2 + Math.floor(random() * (text.length - 3))) : text.replaceAll('"', "'"),
        ),
        kind,
        fate: 'dead-lettered',
      }),
      'invalid-utf8': () => {
        const [head, tail] = [Buffer.from(text.slice(0, 20)), Buffer.from(text.slice(20))];
        return { value: Buffer.concat([head, Buffer.from([0xc3, 0x28, 0xff]), tail]), kind, fate: 'dead-lettered' };
      },
      'missing-id': () => ({ value: line({ ...l, id: '' }), kind, fate: 'dead-lettered' }),
      'date-unreadable': () => ({ value: line({ ...l, updated: 'next tuesday' }), kind, fate: 'dead-lettered' }),
      'price-not-number': () => ({
        value: line({ ...l, price: { amount: 'cheap', currency: 'EUR' } }),
        kind,
        fate: 'quarantined',
      }),
      'area-not-number': () => ({
        value: line({ ...l, area: { value: 'big', unit: 'm2' } }),
        kind,
        fate: 'quarantined',
      }),
    };
    lines.push(value[kind]!());
  }

  // Repeats: compare by text, so give each value a canonical identity first.
  const weatherItems = withRepeats(
    weather.map((w) => ({ ...w, value: JSON.stringify(w.value) })),
    random,
    0.05,
  );
  const lineItems = withRepeats(
    lines.map((l) => ({ ...l, value: l.value.toString('latin1') })),
    random,
    0.05,
  );
  return {
    weather: weatherItems.map((w) => JSON.parse(w.value) as unknown),
    listingLines: Buffer.concat(lineItems.flatMap((l) => [Buffer.from(l.value, 'latin1'), Buffer.from('\n')])),
    expected: { weather: tally(weatherItems), listings: tally(lineItems) },
    malformed,
  };
}
