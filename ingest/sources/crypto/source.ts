// Source `crypto`: ticks (price, 24 h volume) of a ticker API whose values change every second. One tick per coin and
// second: a run in the same second repeats (dropped), the next second brings new ticks.
import { httpCollector } from '../../collectors/http/http-collector.ts';
import type { ParseResult, SourceDefinition } from '../../source.ts';
import { cryptoSettings } from './settings.ts';

export function parseTick(raw: string): ParseResult {
  const t = JSON.parse(raw) as Record<string, unknown>;
  if (typeof t.symbol !== 'string' || !t.symbol) return { ok: false, reason: 'missing field symbol' };
  const ts = new Date(String(t.ts));
  if (typeof t.ts !== 'string' || Number.isNaN(ts.getTime()))
    return { ok: false, reason: `ts ${JSON.stringify(t.ts)} is not a time` };
  return { ok: true, naturalKey: `${t.symbol}|${ts.toISOString()}`, observedAt: ts.toISOString() };
}

export const cryptoSource = {
  name: 'crypto',
  description: 'Crypto ticks (price, 24 h volume) per coin and second from a ticker API',
  schemaVersion: 1,
  schedule: '* * * * *',
  settings: cryptoSettings,
  // The ticker shows each second's prices during that second: polling twice a second misses none (repeats are dropped).
  streamEveryMillis: 500,
  collect(context) {
    const base = context.baseUrl ?? cryptoSettings.read(context.env).url;
    return httpCollector({
      url: `${base}/api/v3/ticker`,
      recordsPath: 'data',
      pagination: { kind: 'page', param: 'page' },
    })(context);
  },
  parse: parseTick,
  // A wallet address identifies a person: encrypted at the collector (docs/security.md).
  sensitive: { taker_wallet: 'encrypt' },
} satisfies SourceDefinition;
