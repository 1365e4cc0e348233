// How gold values leave PostgreSQL for the API without losing anything: a BIGINT beyond 2^53 stays exact (a JS
// bigint, written into JSON as the number's own digits) and a timestamp keeps its microseconds. Used for the rows of
// /v1/tables (pages and exports), so a value read back as a filter finds its row.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const INT8 = pg.types.builtins.INT8;
const TIMESTAMP = pg.types.builtins.TIMESTAMP;
const TIMESTAMPTZ = pg.types.builtins.TIMESTAMPTZ;

/** A BIGINT as a number while it is exact, as a bigint beyond. */
export function parseBigint(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

const PG_TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?$/;

/**
 * PostgreSQL's text for a timestamp as ISO 8601 in UTC, as Date#toISOString writes it (milliseconds), with
 * microseconds when the value has them. Text it cannot read (infinity, BC dates, years past 9999) is returned as is.
 */
export function isoTimestamp(text: string): string {
  const m = PG_TIMESTAMP.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0', os = '0'] = m;
  const offsetSeconds = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os)) : 0;
  const seconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  const utc = new Date((seconds - offsetSeconds) * 1000).toISOString(); // whole seconds: ".000Z"
  const micros = fraction.padEnd(6, '0');
  return `${utc.slice(0, 19)}.${micros.endsWith('000') ? micros.slice(0, 3) : micros}Z`;
}

/** The parsers of the API's row queries (`types` of a query config); every other type is pg's own. */
export const WIRE_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return parseBigint;
    if (oid === TIMESTAMP || oid === TIMESTAMPTZ) return isoTimestamp;
    return pg.types.getTypeParser(oid, format);
  },
};

// Written into the JSON text first, then replaced by the digits: a token no stored text can guess.
const TOKEN = `\u0000${randomBytes(9).toString('base64url')}:`;
const TOKEN_IN_JSON = new RegExp(`"${JSON.stringify(TOKEN).slice(1, -1).replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g');

/** JSON.stringify that writes a bigint as its exact digits (JSON numbers have no size limit; JS numbers do). */
export function jsonText(value: unknown): string {
  const text = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${TOKEN}${v}` : v));
  return text.includes('\\u0000') ? text.replace(TOKEN_IN_JSON, '$1') : text;
}
