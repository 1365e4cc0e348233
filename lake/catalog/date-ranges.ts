// The observation dates a bronze file holds, kept in the catalog as sorted inclusive ranges of UTC dates: a batch of
// ten years of daily history is one range, a day's live data with one late straggler two.
const DAY_MILLIS = 86_400_000;

/** An inclusive range of UTC dates, [first, last], as YYYY-MM-DD. */
export type DateRange = [string, string];

/** Past this many ranges a file records only its first and last date (a superset: jobs then read more, never less). */
export const MAX_DATE_RANGES = 256;

const dayOf = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MILLIS;
const dateOf = (day: number) => new Date(day * DAY_MILLIS).toISOString().slice(0, 10);

/** Collapses dates (any order, repeats allowed) into sorted ranges of consecutive days. */
export function toDateRanges(dates: Iterable<string>): DateRange[] {
  const days = [...new Set(dates)].map(dayOf).sort((a, b) => a - b);
  const ranges: DateRange[] = [];
  let start = days[0];
  for (let i = 1; i <= days.length; i++) {
    if (i < days.length && days[i] === days[i - 1]! + 1) continue;
    if (start !== undefined) ranges.push([dateOf(start), dateOf(days[i - 1]!)]);
    start = days[i];
  }
  return ranges.length > MAX_DATE_RANGES ? [[ranges[0]![0], ranges.at(-1)![1]]] : ranges;
}

/** Every date the ranges cover, in order. */
export function expandDateRanges(ranges: readonly DateRange[]): string[] {
  const dates: string[] = [];
  for (const [first, last] of ranges) for (let d = dayOf(first); d <= dayOf(last); d++) dates.push(dateOf(d));
  return dates;
}

/** The ranges covering both inputs (a compacted file holds the dates of the files it merged). */
export const mergeDateRanges = (...sets: readonly DateRange[][]): DateRange[] =>
  toDateRanges(sets.flatMap(expandDateRanges));

/** True when some date of the ranges lies in [from, to]. */
export const rangesOverlap = (ranges: readonly DateRange[], from: string, to: string): boolean =>
  ranges.some(([first, last]) => first <= to && last >= from);
