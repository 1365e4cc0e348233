// Where the encryption keys come from: STRATA_ENCRYPTION_KEYS, or else the data folder's key file, generated the first
// time something must be encrypted (local use; docs/security.md says why production sets the variable).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';
import { KeyRing } from './sensitive.ts';

/** The key file a data folder falls back to when STRATA_ENCRYPTION_KEYS is unset. */
export const keyFileOf = (config: Pick<Config, 'dataDir'>) => path.join(config.dataDir, 'secrets', 'encryption.keys');

export interface KeyRingOptions {
  /** Generate the data folder's key file when there is no key (writers do; readers never do). */
  create?: boolean;
  /** Told once when a key file is generated. */
  onGenerated?: (file: string) => void;
}

/** The configured keys; undefined when there are none and `create` is off. */
export function keyRingOf(
  config: Pick<Config, 'dataDir' | 'encryptionKeys'>,
  options: KeyRingOptions = {},
): KeyRing | undefined {
  if (config.encryptionKeys) return KeyRing.parse(config.encryptionKeys);
  const file = keyFileOf(config);
  if (existsSync(file)) return KeyRing.parse(readFileSync(file, 'utf8'), file);
  if (!options.create) return undefined;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // `wx`: two processes starting together must not each write a key; the loser reads the winner's.
  try {
    writeFileSync(file, `${KeyRing.generateText()}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
    options.onGenerated?.(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return KeyRing.parse(readFileSync(file, 'utf8'), file);
}

/** The message printed when a key file was generated. */
export const generatedKeyNotice = (file: string) =>
  `No STRATA_ENCRYPTION_KEYS: generated an encryption key in ${file}. Keep a copy of it: without it, encrypted values cannot be read. In production, set STRATA_ENCRYPTION_KEYS instead (docs/security.md).`;
