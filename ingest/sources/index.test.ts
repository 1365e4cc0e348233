import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../core/config.ts';
import { CODE_SOURCES, fixtureAddresses, SOURCES, SOURCES_ROOT, sourcesWithFixtures } from './index.ts';

const folders = readdirSync(SOURCES_ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(SOURCES_ROOT, d.name, 'source.ts')))
  .map((d) => d.name)
  .sort();

describe('the source registry', () => {
  it('holds one source per folder with a source.ts, named as its folder', () => {
    assert.ok(folders.length > 0);
    assert.deepEqual(Object.keys(CODE_SOURCES).sort(), folders);
    for (const [name, source] of Object.entries(CODE_SOURCES)) assert.equal(source.name, name);
  });

  it('finds the fixtures in the source folders, each on the port of its source URL', () => {
    const withFixture = folders.filter((f) => existsSync(path.join(SOURCES_ROOT, f, 'fixtures', 'fixture.ts')));
    assert.deepEqual(sourcesWithFixtures().sort(), withFixture);
    const addresses = fixtureAddresses({});
    assert.deepEqual(addresses.map((a) => a.source).sort(), withFixture);
    assert.equal(new Set(addresses.map((a) => a.url.port)).size, addresses.length, 'two fixtures share a port');
  });

  it('has every source setting documented in docs/configuration.md', () => {
    const docs = readFileSync(path.join(PROJECT_ROOT, 'docs', 'configuration.md'), 'utf8');
    const settings = Object.values(SOURCES).flatMap((s) => s.settings?.list() ?? []);
    assert.deepEqual(
      settings.filter((s) => !docs.includes(`\`${s.name}\``)).map((s) => s.name),
      [],
    );
  });
});
