// What every benchmark prints: the medians of the measured and the baseline rates, their ratio, and a table.
import { formatTable } from '../../core/cli.ts';

/** The value at rank ⌊p·n⌋ of the sorted values (NaN for none). */
export const quantile = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : Number.NaN;
export const median = (xs: number[]) => quantile(xs, 0.5);

export interface Comparison {
  measured: number;
  baseline: number;
  ratio: number;
}

/** Prints the measured and baseline medians (events/s) and their ratio; returns them for the summary line and JSON. */
export function compareRates(
  measuredLabel: string,
  measuredRates: number[],
  baselineLabel: string,
  baselineRates: number[],
  ratioLabel: string,
): Comparison {
  const measured = Math.round(median(measuredRates));
  const baseline = Math.round(median(baselineRates));
  const ratio = Number((measured / baseline).toFixed(3));
  console.log(
    formatTable(
      ['measure', 'events/s (median)'],
      [
        [measuredLabel, measured],
        [baselineLabel, baseline],
        [ratioLabel, ratio],
      ],
    ),
  );
  return { measured, baseline, ratio };
}
