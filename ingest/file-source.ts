// A declared file source as a SourceDefinition: its inbox read by the files collector, its rows keyed by the declared
// key columns (content identity) or, with none, by their position in the file (decision 0028).
import type { Config } from '../core/config.ts';
import { filesCollector } from './collectors/files/files-collector.ts';
import type { FileSourceDeclaration } from './file-sources.ts';
import type { ParseResult, SourceDefinition } from './source.ts';
import { inboxPath } from './source-settings.ts';

/** `<data dir>/inbox/<name>`: where a file source's files wait to be collected. */
export const fileInbox = (config: Config, name: string): string => inboxPath(config, name, undefined);

/** A time without a zone (`2001-01-01 00:01:00`, as Parquet and CSV write it) is read as UTC, not as local time. */
export function utcTime(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value !== 'string' || !value.trim()) return undefined;
  const text = value.trim();
  const zoned = /(Z|[+-]\d\d(:?\d\d)?)$/i.test(text) || !/\d{2}:\d{2}/.test(text);
  const at = new Date(zoned ? text : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The parser of a declared source: the key columns' values and the time column's value, each checked. */
export function fileParser(declaration: Pick<FileSourceDeclaration, 'key' | 'time'>): (raw: string) => ParseResult {
  const { key, time } = declaration;
  if (!key.length && !time) {
    // Identified by position and observed when collected (to the second): the row is not read at all.
    let second = 0;
    let now = '';
    return () => {
      const at = Math.floor(Date.now() / 1000);
      if (at !== second) [second, now] = [at, new Date(at * 1000).toISOString()];
      return { ok: true, naturalKey: '', observedAt: now };
    };
  }
  return (raw) => {
    const row = JSON.parse(raw) as Record<string, unknown>;
    const values: unknown[] = [];
    for (const column of key) {
      const value = row[column];
      if (value === null || value === undefined || value === '')
        return { ok: false, reason: `key column "${column}" is empty` };
      values.push(value);
    }
    let observedAt = new Date().toISOString();
    if (time) {
      const at = utcTime(row[time]);
      if (!at) return { ok: false, reason: `time column "${time}" holds ${JSON.stringify(row[time])}, not a time` };
      observedAt = at.toISOString();
    }
    const naturalKey = values.length === 1 ? String(values[0]) : JSON.stringify(values);
    return { ok: true, naturalKey, observedAt };
  };
}

/** The source a declaration describes. */
export function fileSource(name: string, declaration: FileSourceDeclaration): SourceDefinition {
  const byPosition = declaration.key.length === 0;
  return {
    name,
    description: declaration.description ?? `Files dropped in <data dir>/inbox/${name}/ (${declaration.format})`,
    schemaVersion: 1,
    schedule: '*/5 * * * *',
    identity: byPosition ? 'position' : 'content',
    sensitive: declaration.sensitive,
    collect: (context) =>
      filesCollector({
        inbox: fileInbox(context.config!, name),
        format: declaration.format,
        csvDelimiter: declaration.csv?.delimiter,
        positions: byPosition,
        maxRecordBytes: context.config!.maxEventBytes,
      })(),
    inbox: (config) => fileInbox(config, name),
    parse: fileParser(declaration),
  };
}
