// The registry of sources, discovered: every folder here with a `source.ts` exporting a SourceDefinition named as
// the folder is a source. Adding one means adding its folder (`pnpm new:source`); nothing else names it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeError, TerminalError } from '../../core/errors.ts';
import { fixtureFileOf, fixtureOf, type FixtureDefinition } from '../fixture.ts';
import { config } from '../../core/config.ts';
import { importSource } from '../../core/modules.ts';
import { SOURCES_ROOT, sourceFolders } from './folders.ts';
import { fileSource } from '../file-source.ts';
import { readFileSources } from '../file-sources.ts';
import type { SourceDefinition } from '../source.ts';

export { SOURCES_ROOT };

const isSource = (value: unknown): value is SourceDefinition =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as SourceDefinition).name === 'string' &&
  typeof (value as SourceDefinition).collect === 'function' &&
  typeof (value as SourceDefinition).parse === 'function';

async function discoverSources(root: string): Promise<Record<string, SourceDefinition>> {
  const folders = sourceFolders(root);
  const sources: Record<string, SourceDefinition> = {};
  for (const folder of folders) {
    const module = (await importSource(path.join(root, folder, 'source.ts'))) as Record<string, unknown>;
    const source = Object.values(module).find((v) => isSource(v) && v.name === folder);
    if (!source)
      throw new TerminalError(
        `ingest/sources/${folder}/source.ts exports no source named "${folder}"; export a SourceDefinition with name: '${folder}'`,
      );
    sources[folder] = source as SourceDefinition;
  }
  return sources;
}

/** Sources with code: a folder of ingest/sources/ each. */
export const CODE_SOURCES: Readonly<Record<string, SourceDefinition>> = Object.freeze(
  await discoverSources(SOURCES_ROOT),
);

/** Sources declared in STRATA_FILE_SOURCES (no code: `pnpm ingest:file` declares them), as this process started. */
export const FILE_SOURCES: Readonly<Record<string, SourceDefinition>> = Object.freeze(declaredAtStart());

/** Every source: those with code, then the declared file sources. */
export const SOURCES: Readonly<Record<string, SourceDefinition>> = Object.freeze({ ...CODE_SOURCES, ...FILE_SOURCES });

/** A declaration file with problems stops any command at its start, listing them (as an invalid setting does). */
function declaredAtStart(): Record<string, SourceDefinition> {
  try {
    const declared = readFileSources(config().fileSources, Object.keys(CODE_SOURCES));
    return Object.fromEntries(Object.entries(declared).map(([name, d]) => [name, fileSource(name, d)]));
  } catch (error) {
    console.error(`error: ${describeError(error)}`);
    process.exit(2);
  }
}

/** The fixture of a source, if its folder has one (`fixtures/fixture.ts`). */
export const sourceFixture = (name: string): Promise<FixtureDefinition | undefined> => fixtureOf(SOURCES_ROOT, name);

/** Sources whose folder holds a fixture, by name. */
export const sourcesWithFixtures = (): string[] =>
  Object.keys(CODE_SOURCES).filter((name) => existsSync(fixtureFileOf(SOURCES_ROOT, name)));

/** Where each fixture listens: the host and port of its source's `url` setting. */
export function fixtureAddresses(env?: Record<string, string | undefined>): { source: string; url: URL }[] {
  return sourcesWithFixtures().flatMap((source) => {
    const url = (CODE_SOURCES[source]!.settings?.read(env) as { url?: unknown } | undefined)?.url;
    return typeof url === 'string' ? [{ source, url: new URL(url) }] : [];
  });
}
