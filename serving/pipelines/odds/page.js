// The odds example's dashboard page: drawn in the browser from the API.
import { barChart, palette } from '/assets/charts.js';
import { api, card, empty, table, number, rows } from '/assets/kit.js';

export async function render() {
  const [payouts, matches] = await Promise.all([
    rows('bookmaker_payouts', 'order=-payout_rate_mean&limit=1000'),
    api('/v1/odds/matches?limit=100'),
  ]);
  const payout = card('Mean payout rate per bookmaker (%)', {
    note: '1 / (1/odds₁ + 1/odds_X + 1/odds₂): the share of stakes a bookmaker pays back',
  });
  if (!payouts.length)
    return empty(payout, 'No odds yet: pnpm ingest:run odds, then pnpm job:silver and pnpm job:gold.');
  barChart(payout, {
    bars: payouts.map((p) => ({
      label: p.bookmaker,
      value: Number(p.payout_rate_mean) * 100,
      low: Number(p.payout_rate_min) * 100,
      high: Number(p.payout_rate_max) * 100,
    })),
    title: 'Payout rate',
    unit: '%',
    min: 75,
  });
  const wins = new Map();
  for (const m of matches.matches)
    for (const o of Object.values(m.best)) wins.set(o.bookmaker, (wins.get(o.bookmaker) ?? 0) + 1);
  barChart(
    card('Best prices offered, per bookmaker', {
      note: 'How often each bookmaker has the highest odds on an outcome',
    }),
    {
      bars: [...wins].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value })),
      color: palette(5)[4],
      title: 'Best prices',
    },
  );
  const best = (o) => (m) => (m.best[o] ? `${number(m.best[o].odds)} (${m.best[o].bookmaker})` : '—');
  table(card('Best odds per match', { wide: true }), matches.matches, [
    ['Kick-off (UTC)', (m) => m.kickoff.slice(0, 16).replace('T', ' ')],
    ['League', (m) => m.league],
    ['Match', (m) => m.match],
    ['1', best('1')],
    ['X', best('X')],
    ['2', best('2')],
    ['Payout at best', (m) => (m.payoutRate === null ? '—' : `${number(m.payoutRate * 100)} %`)],
  ]);
}
