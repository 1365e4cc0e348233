// How the API shows encrypted values (docs/security.md): in clear to a key with read:sensitive (or admin), where the
// server holds the encryption keys; masked to every other reader. Values are recognised by their form (`enc:<key id>:…`),
// so no column can be missed, whatever a table declares.
import type { KeyRing } from '../core/sensitive.ts';

/** What a masked value reads as. */
export const MASKED = '[sensitive]';

/** How one reader sees encrypted values: a function of the stored value. */
export type ShowSensitive = (value: string) => string;

export const masked: ShowSensitive = () => MASKED;

/**
 * The view of a reader allowed to see sensitive values: in clear with the keys; without them (the server was started
 * without STRATA_ENCRYPTION_KEYS), the ciphertext as stored, which tells nothing more than the mask.
 */
export function revealed(ring: KeyRing | undefined): ShowSensitive {
  if (!ring) return (value) => value;
  return (value) => {
    try {
      return ring.reveal(value);
    } catch {
      // A value under a key the server does not hold (or altered) stays as stored rather than failing the page.
      return value;
    }
  };
}
