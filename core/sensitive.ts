// Sensitive values (docs/security.md, decision 0038): AES-256-GCM encryption and keyed hashes with the keys of
// STRATA_ENCRYPTION_KEYS. Every value says which key made it (`enc:<key id>:…`, `hmac:<key id>:…`), so old values stay
// readable after a rotation and `pnpm lake:rekey` finds what to rewrite.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError, TerminalError } from './errors.ts';

/** What happens to a sensitive field: encrypted (readable with a key), replaced by a keyed hash (joins still work), or removed. */
export const SENSITIVITIES = ['encrypt', 'hash', 'drop'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** Fields by their name, or a dotted path into nested objects (`contact.email`). */
export type SensitiveFields = Readonly<Record<string, Sensitivity>>;

const KEY_ID = /^[A-Za-z0-9_]{1,16}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** An encrypted value, alone or inside a text (a JSON payload): key id, then base64url of IV, ciphertext and tag. */
const ENCRYPTED = /enc:([A-Za-z0-9_]{1,16}):([A-Za-z0-9_-]{38,})/g;
const WHOLE_ENCRYPTED = /^enc:([A-Za-z0-9_]{1,16}):([A-Za-z0-9_-]{38,})$/;

/** Whether a value is one this module encrypted or hashed (protecting it again would hide it twice). */
export const isProtected = (value: string) => value.startsWith('enc:') || value.startsWith('hmac:');

/** Whether a text holds an encrypted value anywhere (cheap: a substring search). */
export const holdsEncrypted = (text: string) => text.includes('enc:');

interface Key {
  id: string;
  encryption: Buffer;
  hashing: Buffer;
}

/**
 * The configured keys, oldest first. New values are encrypted with the newest; any listed key decrypts. Hashes use
 * the oldest key, so a hash stays the same across rotations (a hash cannot be rewritten: it keeps no value).
 */
export class KeyRing {
  private readonly byId: Map<string, Key>;

  private constructor(private readonly keys: readonly Key[]) {
    this.byId = new Map(keys.map((k) => [k.id, k]));
  }

  /** Reads `k1:<64 hex>,k2:<64 hex>`; throws a ConfigError listing every problem (never a key itself). */
  static parse(text: string, variable = 'STRATA_ENCRYPTION_KEYS'): KeyRing {
    const problems = keyProblems(text);
    if (problems.length)
      throw new ConfigError(`${variable} is not valid:\n${problems.map((p) => `- ${p}`).join('\n')}`, {
        context: { variable },
      });
    return new KeyRing(
      entries(text).map((entry) => {
        const [id, hex] = entry.split(':') as [string, string];
        const secret = Buffer.from(hex, 'hex');
        // One secret, two purposes: derived keys keep AES and HMAC from ever sharing a key.
        const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
        return { id, encryption: derive('strata encrypt v1'), hashing: derive('strata hash v1') };
      }),
    );
  }

  /** A new ring of one freshly generated key (what a local data folder gets when no key is set). */
  static generateText(id = 'k1'): string {
    return `${id}:${randomBytes(32).toString('hex')}`;
  }

  get ids(): string[] {
    return this.keys.map((k) => k.id);
  }

  /** The key new values are encrypted with. */
  get newest(): string {
    return this.keys[this.keys.length - 1]!.id;
  }

  /** Encrypts a text: `enc:<newest key id>:<base64url of IV | ciphertext | tag>`, a new IV each time. */
  encrypt(plain: string): string {
    const key = this.keys[this.keys.length - 1]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.encryption, iv);
    const body = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `enc:${key.id}:${body.toString('base64url')}`;
  }

  /** Decrypts a value `encrypt` made; throws naming the key when it is not configured, or when the value was altered. */
  decrypt(value: string): string {
    const match = WHOLE_ENCRYPTED.exec(value);
    if (!match) throw new TerminalError('not an encrypted value (enc:<key id>:…)');
    return this.open(match[1]!, match[2]!);
  }

  /** A keyed hash: the same text always gives the same `hmac:<oldest key id>:…`, which tells nothing of the text. */
  hash(plain: string): string {
    const key = this.keys[0]!;
    return `hmac:${key.id}:${createHmac('sha256', key.hashing).update(plain, 'utf8').digest('base64url')}`;
  }

  /**
   * A text with its encrypted values in clear: a value that is all one encrypted value becomes its text; values inside
   * a larger text (a JSON payload) become their text escaped as a JSON string's content.
   */
  reveal(text: string): string {
    if (!holdsEncrypted(text)) return text;
    const whole = WHOLE_ENCRYPTED.exec(text);
    if (whole) return this.open(whole[1]!, whole[2]!);
    return text.replace(ENCRYPTED, (_, id: string, body: string) => JSON.stringify(this.open(id, body)).slice(1, -1));
  }

  /** A text whose encrypted values are all under the newest key (those under older keys re-encrypted). */
  rekey(text: string): string {
    if (!holdsEncrypted(text)) return text;
    const newest = this.newest;
    return text.replace(ENCRYPTED, (token: string, id: string, body: string) =>
      id === newest ? token : this.encrypt(this.open(id, body)),
    );
  }

  /** Whether a text holds a value encrypted under another key than the newest. */
  needsRekey(text: string): boolean {
    if (!holdsEncrypted(text)) return false;
    for (const match of text.matchAll(ENCRYPTED)) if (match[1] !== this.newest) return true;
    return false;
  }

  private open(id: string, body: string): string {
    const key = this.byId.get(id);
    if (!key)
      throw new TerminalError(
        `a value is encrypted with key "${id}", which STRATA_ENCRYPTION_KEYS does not list (it has ${this.ids.join(', ')}); add it back to read the value`,
      );
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length < IV_BYTES + TAG_BYTES)
      throw new TerminalError(`an encrypted value under key "${id}" is cut short`);
    const decipher = createDecipheriv('aes-256-gcm', key.encryption, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (cause) {
      throw new TerminalError(
        `an encrypted value under key "${id}" does not decrypt: it was altered, or the key is not the one that wrote it`,
        {
          cause,
        },
      );
    }
  }
}

const entries = (text: string) =>
  text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);

/** Every problem of a STRATA_ENCRYPTION_KEYS value, as a line each (what config validation lists). */
export function keyProblems(text: string): string[] {
  const problems: string[] = [];
  const list = entries(text);
  if (!list.length) problems.push('no key: give k1:<64 hex characters> (e.g. k1:$(openssl rand -hex 32))');
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    const [id = '', hex, ...rest] = entry.split(':');
    if (!KEY_ID.test(id)) problems.push(`key ${i + 1}: its id must be 1–16 letters, digits or _ (e.g. k1)`);
    else if (seen.has(id)) problems.push(`key ${i + 1}: id "${id}" is listed twice`);
    seen.add(id);
    if (hex === undefined || rest.length || !/^[0-9a-fA-F]{64}$/.test(hex))
      problems.push(`key ${i + 1} (${id}): needs <id>:<64 hex characters>, 32 random bytes (openssl rand -hex 32)`);
  });
  return problems;
}
