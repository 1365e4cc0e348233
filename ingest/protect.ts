// A source's sensitive fields, protected in each record before it leaves the collector (docs/security.md): what goes
// to Redis, and so to bronze, silver, gold, dead letters and quarantine, holds only ciphertext, hashes, or nothing.
import type { Config } from '../core/config.ts';
import { generatedKeyNotice, keyRingOf } from '../core/keys.ts';
import { logLine } from '../core/log.ts';
import type { KeyRing, SensitiveFields, Sensitivity } from '../core/sensitive.ts';
import { holdsEncrypted, isProtected } from '../core/sensitive.ts';
import type { SourceDefinition } from './source.ts';

/**
 * The protector of a source that declares sensitive fields (none for the others). Its keys are configured, or a local
 * data folder's key file is generated the first time (said once).
 */
export function protectorFor(
  config: Pick<Config, 'dataDir' | 'encryptionKeys'>,
  source: Pick<SourceDefinition, 'sensitive'>,
): RecordProtector | undefined {
  if (!source.sensitive || Object.keys(source.sensitive).length === 0) return undefined;
  const ring = keyRingOf(config, {
    create: true,
    onGenerated: (file) => {
      // On the terminal as well as in the logs: whoever runs this must learn where the key is, and to keep it.
      console.warn(generatedKeyNotice(file));
      logLine('warn', generatedKeyNotice(file));
    },
  });
  return new RecordProtector(source.sensitive, ring!);
}

export interface Protected {
  /** The record's text to publish: its sensitive fields protected, the rest as it was. */
  payload: string;
  /**
   * What the event id is computed from. Where a value was encrypted: a keyed hash of the record's clear text, so that
   * the same record collected twice gets the same id (encryption is random) and the id tells nothing of the clear
   * values. Otherwise the payload itself (hashes and removals are the same each time).
   */
  identity: string;
  /** Fields removed (sensitivity `drop`), for the run's log. */
  dropped: string[];
}

type Path = { name: string; parts: string[]; sensitivity: Sensitivity };

/** Protects records of one source with a key ring; created once per run. */
export class RecordProtector {
  private readonly paths: Path[];

  constructor(
    fields: SensitiveFields,
    private readonly ring: KeyRing,
  ) {
    this.paths = Object.entries(fields).map(([name, sensitivity]) => ({ name, parts: name.split('.'), sensitivity }));
  }

  /**
   * A record's clear text (a dead letter being replayed holds protected values: they are opened first, so its event
   * id is the one it would have had).
   */
  clear(text: string): string {
    return holdsEncrypted(text) ? this.ring.reveal(text) : text;
  }

  /**
   * Protects a record's fields. A text that is not a JSON object cannot have its fields found: it is encrypted whole
   * (`whole`), and the caller dead-letters it.
   */
  protect(text: string): Protected | { whole: string } {
    const result = this.protectFields(text);
    if ('whole' in result) return result;
    const { payload, dropped, encrypted } = result;
    return { payload, identity: encrypted ? this.ring.hash(text) : payload, dropped };
  }

  /** The record with its fields protected, and whether a value was encrypted (its identity then needs the clear text). */
  private protectFields(text: string): { payload: string; dropped: string[]; encrypted: boolean } | { whole: string } {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      return { whole: this.ring.encrypt(text) };
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) return { whole: this.ring.encrypt(text) };
    const dropped: string[] = [];
    let changed = false;
    let encrypted = false;
    for (const path of this.paths) {
      const parent = parentOf(record as Record<string, unknown>, path.parts);
      const leaf = path.parts[path.parts.length - 1]!;
      if (!parent || !(leaf in parent)) continue;
      const value = parent[leaf];
      if (path.sensitivity === 'drop') {
        delete parent[leaf];
        dropped.push(path.name);
        changed = true;
        continue;
      }
      if (value === null || value === undefined || (typeof value === 'string' && isProtected(value))) continue;
      const plain = typeof value === 'string' ? value : JSON.stringify(value);
      parent[leaf] = path.sensitivity === 'encrypt' ? this.ring.encrypt(plain) : this.ring.hash(plain);
      changed = true;
      encrypted ||= path.sensitivity === 'encrypt';
    }
    // A record without any of the fields keeps its bytes; one with them is written again as JSON.
    return { payload: changed ? JSON.stringify(record) : text, dropped, encrypted };
  }

  /** What tells a dead letter from another when its kept text is encrypted (random): a keyed hash of the clear text. */
  letterKey(text: string): string {
    return this.ring.hash(text);
  }

  /** Encrypts a text whole (a record whose shape is unknown: rejected by its collector, or cut to a preview). */
  protectWhole(text: string): string {
    return isProtected(text) ? text : this.ring.encrypt(text);
  }

  /** Protects a text kept only to be read by a person (a dead letter, a preview): its fields, or all of it. */
  protectText(text: string): string {
    const result = this.protectFields(text);
    return 'whole' in result ? result.whole : result.payload;
  }
}

function parentOf(record: Record<string, unknown>, parts: string[]): Record<string, unknown> | undefined {
  let node: unknown = record;
  for (const part of parts.slice(0, -1)) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>) : undefined;
}
