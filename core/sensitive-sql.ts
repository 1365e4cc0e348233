// The SQL side of sensitive values (docs/security.md): functions a DuckDB session gets where keys are configured, so
// that `pnpm sql` and table SQL can read (strata_decrypt) and write (strata_encrypt, strata_hash) protected values.
import type { DuckSession } from './duckdb.ts';
import type { KeyRing } from './sensitive.ts';

const NO_KEY =
  'no encryption key: set STRATA_ENCRYPTION_KEYS (or run where the data folder holds its key file); docs/security.md';

/**
 * Defines strata_decrypt(text) (a value, or every value inside a JSON text, in clear), strata_encrypt(text),
 * strata_hash(text) (the keyed hash a source's `hash` fields hold) and strata_rekey(text). Without a key ring they are
 * defined all the same and fail naming the setting, rather than "function does not exist".
 */
export async function defineSensitiveFunctions(duck: DuckSession, ring: KeyRing | undefined): Promise<void> {
  const using = (fn: (ring: KeyRing, value: string) => string) => (value: string) => {
    if (!ring) throw new Error(NO_KEY);
    return fn(ring, value);
  };
  // A value already protected passes without a key: a table declaring a column its source encrypted needs none.
  const unless = (prefix: string, fn: (ring: KeyRing, value: string) => string) => (value: string) =>
    value.startsWith(prefix) ? value : using(fn)(value);
  await duck.defineTextFunction(
    'strata_decrypt',
    using((r, v) => r.reveal(v)),
  );
  await duck.defineTextFunction(
    'strata_encrypt',
    unless('enc:', (r, v) => r.encrypt(v)),
  );
  await duck.defineTextFunction(
    'strata_hash',
    unless('hmac:', (r, v) => r.hash(v)),
  );
  await duck.defineTextFunction(
    'strata_rekey',
    using((r, v) => r.rekey(v)),
  );
}
