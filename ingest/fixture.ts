// A source's fixture: a small local stand-in for the real site or API, served by `pnpm fixtures:serve` and
// `pnpm infra:up --only fixtures`. A source has one when its folder holds `fixtures/fixture.ts` exporting `fixture`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.ts';
import { importSource } from '../core/modules.ts';

export interface FixtureOptions {
  host: string;
  port: number;
  config: Config;
  /** Days of history to generate, for fixtures that generate a history. */
  days: number;
}

export interface ServedFixture {
  url: string;
  /** One line for the console: where to look and what is there. */
  summary: string;
  close(): Promise<void>;
}

export interface FixtureDefinition {
  /** What the fixture stands in for, for `pnpm fixtures:serve --help`. */
  description: string;
  serve(options: FixtureOptions): Promise<ServedFixture>;
}

/** Where a source folder's fixture lives. */
export const fixtureFileOf = (sourcesRoot: string, source: string) =>
  path.join(sourcesRoot, source, 'fixtures', 'fixture.ts');

/** The fixture of a source folder, if it has one. */
export async function fixtureOf(sourcesRoot: string, source: string): Promise<FixtureDefinition | undefined> {
  const file = fixtureFileOf(sourcesRoot, source);
  if (!existsSync(file)) return undefined;
  const module = (await importSource(file)) as { fixture?: FixtureDefinition };
  return module.fixture;
}
