// The fixture and the test `pnpm new:source` writes for each kind: a local stand-in serving the sample records, and
// a test that collects them through the real ingest runner on isolated services.
import { camel, type SourceTemplate } from './source-files.ts';

const serverFixture = (
  { name }: SourceTemplate,
  body: string,
  type: string,
) => `// The ${name} fixture: a local server answering GET /records with the sample records.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FixtureDefinition } from '../../../fixture.ts';
import { SAMPLE } from './sample.ts';

/** Starts the fixture server (port 0: any free port). */
export async function start${camel(`_${name}`)}Fixture(port = 0, host = '127.0.0.1') {
  const server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://fixture').pathname !== '/records') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': '${type}' }).end(${body});
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const url = \`http://\${host}:\${(server.address() as AddressInfo).port}\`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export const fixture: FixtureDefinition = {
  description: 'the ${name} sample (/records)',
  async serve({ host, port }) {
    const server = await start${camel(`_${name}`)}Fixture(port, host);
    return { ...server, summary: \`${name} fixture: \${server.url}/records (\${SAMPLE.length} records)\` };
  },
};
`;

const html =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the generated file's template literal, written as text
  '`<!doctype html><table id="records"><tbody>${SAMPLE.map((r) => `<tr><td>${r.id}</td><td>${r.name}</td><td>${r.amount}</td><td>${r.updated_at}</td></tr>`).join(\'\')}</tbody></table>`';

/** `fixtures/fixture.ts`, or nothing for kinds whose test builds its input itself (files, database). */
export function fixtureFile(t: SourceTemplate): string | undefined {
  if (t.kind === 'http') return serverFixture(t, 'JSON.stringify({ data: SAMPLE, next: null })', 'application/json');
  if (t.kind === 'web') return serverFixture(t, html, 'text/html');
  return undefined;
}

const given: Record<SourceTemplate['kind'], (t: SourceTemplate) => string> = {
  files: ({ name }) => `    const inbox = mkdtempSync(path.join(os.tmpdir(), '${name}-inbox-'));
    writeFileSync(path.join(inbox, 'sample.csv'), sampleCsv());
    const context = { env: { STRATA_SOURCE_${name.toUpperCase()}_INBOX: inbox } };`,
  http: ({ name }) => `    const server = await start${camel(`_${name}`)}Fixture();
    cleanups.push(server.close);
    const context = { baseUrl: server.url };`,
  web: ({ name }) => `    const server = await start${camel(`_${name}`)}Fixture();
    cleanups.push(server.close);
    const context = { baseUrl: server.url };`,
  database: ({ name }) => `    const client = new pg.Client({ connectionString: env.config.databaseUrl });
    await client.connect();
    await client.query('create table public.${name} (id text, name text, amount text, updated_at text)');
    for (const r of SAMPLE)
      await client.query('insert into public.${name} values ($1, $2, $3, $4)', [r.id, r.name, r.amount, r.updated_at]);
    await client.end();
    const context = {};`,
};

const testImports: Record<SourceTemplate['kind'], (t: SourceTemplate) => string> = {
  files: () =>
    "import { mkdtempSync, writeFileSync } from 'node:fs';\nimport os from 'node:os';\nimport path from 'node:path';\nimport { SAMPLE, sampleCsv } from './fixtures/sample.ts';",
  http: ({ name }) =>
    `import { start${camel(`_${name}`)}Fixture } from './fixtures/fixture.ts';\nimport { SAMPLE } from './fixtures/sample.ts';`,
  web: ({ name }) =>
    `import { start${camel(`_${name}`)}Fixture } from './fixtures/fixture.ts';\nimport { SAMPLE } from './fixtures/sample.ts';`,
  database: () => "import pg from 'pg';\nimport { SAMPLE } from './fixtures/sample.ts';",
};

/** `source.test.ts`: the sample collected by the real runner, the record without an id dead-lettered. */
export const sourceTestFile = (t: SourceTemplate) => `import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
${testImports[t.kind](t)}
import { isolatedRuntime, type Isolated } from '../../../infra/local/sandbox.ts';
import { runIngest } from '../../ingest-runner.ts';
import { ${camel(t.name)}Source } from './source.ts';

describe('source ${t.name}', () => {
  let env: Isolated;
  const cleanups: (() => Promise<void>)[] = [];
  before(async () => {
    env = await isolatedRuntime();
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await env?.cleanup();
  });

  it('collects every sample record, dead-letters the one without an id, and adds nothing the second time', async () => {
${given[t.kind](t)}
    const first = await runIngest(env.rt, ${camel(t.name)}Source, { context });
    assert.equal(first.status, 'succeeded', first.error);
    assert.deepEqual([first.rowsIn, first.rowsOut, first.rowsRejected], [SAMPLE.length, SAMPLE.length - 1, 1]);${
      t.kind === 'files'
        ? ''
        : `
    const second = await runIngest(env.rt, ${camel(t.name)}Source, { context });
    assert.deepEqual([second.rowsOut, second.rowsRejected], [0, 0]);`
    }
  });
});
`;
