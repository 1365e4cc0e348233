// Sensitive fields end to end (docs/security.md), with the listings pipeline: after it ran, readers nobody here wrote
// (hyparquet over every lake file, Redis's own commands over every key, PostgreSQL over every table) find none of the
// agencies' emails or phones in clear; `pnpm sql` with the key reads them, without it sees ciphertext; after a rotation,
// files under key 1 and key 2 both read, and `pnpm lake:rekey` then vacuum leave only key 2.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import pg from 'pg';
import { drainSource } from '../bronze/bronze-writer.ts';
import { envFor, PROJECT_ROOT } from '../core/config.ts';
import { withDuck } from '../core/duckdb.ts';
import { keyRingOf } from '../core/keys.ts';
import { scriptArgs } from '../core/modules.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import {
  AGENCIES,
  createLegacyTable,
  generateListings,
  writeListingDumps,
} from '../ingest/sources/listings/fixtures/generator.ts';
import { startListingsApi } from '../ingest/sources/listings/fixtures/server.ts';
import { listingsSource } from '../ingest/sources/listings/source.ts';
import { openRuntime, type Runtime } from '../lake/runtime.ts';
import { vacuumLake } from '../lake/vacuum.ts';
import { runBatch } from '../pipeline/run-batch.ts';
import { createApp } from '../serving/app.ts';
import { rekeyLake } from '../pipeline/rekey.ts';
import { isolatedConfig } from './support/isolated.ts';

const K1 = `k1:${'a1'.repeat(32)}`;
const K2 = `k2:${'b2'.repeat(32)}`;
/** Every personal value of the fixture, as the origins write them. */
const SECRETS = AGENCIES.flatMap((a) => [a.email, a.phone]);
const run = promisify(execFile);

const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

/** Every value of every Parquet file under the lake folder, read by hyparquet (zstd decoded), as one text per file. */
async function lakeTexts(folder: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const files = (readdirSync(folder, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet'));
  for (const file of files) {
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(folder, file)), compressors });
    texts.set(
      file,
      JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
  }
  return texts;
}

/** Every key of the namespace through Redis's own commands, each value as text (binary values as latin1). */
async function redisText(rt: Runtime): Promise<{ keys: number; text: string }> {
  const redis = rt.redis();
  const parts: string[] = [];
  let keys = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${rt.config.redisPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      keys++;
      const type = await redis.type(key);
      if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'string') parts.push((await redis.getBuffer(key))?.toString('latin1') ?? '');
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1', 'WITHSCORES')));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else assert.fail(`key ${key} of type ${type} is not read by this test`);
    }
  } while (cursor !== '0');
  return { keys, text: parts.join('\n') };
}

/** Every row of every table of the database as JSON, but the source's own legacy table (the system it collects from). */
async function postgresText(databaseUrl: string): Promise<{ tables: string[]; text: string }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
        where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema', 'legacy')
        order by 1`,
    );
    const parts: string[] = [];
    for (const { name } of rows)
      parts.push(...(await client.query<{ r: string }>(`select t::text as r from ${name} t`)).rows.map((r) => r.r));
    return { tables: rows.map((r) => r.name), text: parts.join('\n') };
  } finally {
    await client.end();
  }
}

describe('sensitive fields end to end: the listings pipeline', { timeout: 300_000 }, () => {
  let config: Awaited<ReturnType<typeof isolatedConfig>>['config'];
  let cleanup: () => Promise<void>;
  let rt: Runtime;
  let api: { url: string; close(): Promise<void> };
  let inbox: string;
  let lakeFolder: string;
  const context = () => ({ baseUrl: api.url, env: { STRATA_SOURCE_LISTINGS_INBOX: inbox } });
  /** `pnpm sql -c` with these keys ('' for none, in a data folder without a key file). */
  const sql = async (query: string, keys: string) => {
    const noKeyFolder = mkdtempSync(path.join(os.tmpdir(), 'strata-nokey-'));
    const env = {
      ...process.env,
      ...envFor(config),
      STRATA_ENCRYPTION_KEYS: keys,
      ...(keys ? {} : { STRATA_DATA_DIR: noKeyFolder }),
    };
    try {
      const { stdout } = await run(process.execPath, scriptArgs('bin/sql.ts', ['-c', query]), {
        cwd: PROJECT_ROOT,
        env,
        timeout: 60_000,
      });
      return stdout;
    } catch (error) {
      return `exit ${(error as { code: number }).code}: ${(error as { stderr: string }).stderr}`;
    } finally {
      rmSync(noKeyFolder, { recursive: true, force: true });
    }
  };
  /** Collects, then (given) reads Redis while the stream and the dead letters still hold the entries, then the rest. */
  const pipeline = async (whileInRedis?: () => Promise<void>) => {
    const ingest = await runIngest(rt, listingsSource, { context: context() });
    assert.equal(ingest.status, 'succeeded', ingest.error);
    await whileInRedis?.();
    await drainSource(rt, 'listings');
    const batch = await runBatch(rt, { layers: ['silver', 'gold'] });
    assert.ok(batch.ok, JSON.stringify(batch.tables.filter((t) => t.status === 'failed')));
    return ingest;
  };

  before(async () => {
    ({ config, cleanup } = await isolatedConfig('file', { STRATA_ENCRYPTION_KEYS: K1 }));
    rt = await openRuntime(config);
    lakeFolder = config.lakeUrl.slice('file://'.length);
    api = await startListingsApi();
    inbox = mkdtempSync(path.join(os.tmpdir(), 'strata-sensitive-'));
    writeListingDumps(inbox);
    await createLegacyTable(config.databaseUrl);
  });
  after(async () => {
    await api?.close();
    rmSync(inbox, { recursive: true, force: true });
    await rt?.close();
    await cleanup?.();
  });

  it('keeps no email or phone in clear in the lake, Redis or PostgreSQL, though every origin sent them', async () => {
    const seen: string[] = [];
    const ingest = await pipeline(async () => {
      const redis = await redisText(rt);
      assert.ok(redis.keys >= 3, `Redis keys read: ${redis.keys}`);
      assert.match(redis.text, /enc:k1:/, 'the stream and the dead letters hold ciphertext');
      assert.deepEqual(leaks(redis.text), [], 'Redis, before bronze');
      seen.push(redis.text);
    });
    assert.equal(ingest.rowsIn, seen.length && ingest.rowsIn);
    assert.equal(ingest.rowsRejected, 2, 'the CSV row without a reference and the legacy row without an id');
    // After bronze: what Redis keeps (dedup records, file watermarks, cursors).
    assert.deepEqual(leaks((await redisText(rt)).text), [], 'Redis, after bronze');

    const lake = await lakeTexts(lakeFolder);
    const layers = new Set([...lake.keys()].map((f) => f.split(path.sep)[0]));
    assert.deepEqual([...layers].sort(), ['bronze', 'gold', 'silver']);
    for (const [file, text] of lake) assert.deepEqual(leaks(text), [], file);
    const all = [...lake.values()].join('\n');
    assert.match(all, /enc:k1:/);
    assert.ok(
      [...lake.keys()].some((f) => f.includes('__dead_letters')),
      'the dead letters were committed to the lake and read too',
    );

    const database = await postgresText(config.databaseUrl);
    for (const table of ['gold.listing_agencies', 'strata_catalog.logs', 'strata_catalog.runs'])
      assert.ok(database.tables.includes(table), `${table} was read`);
    assert.deepEqual(leaks(database.text), [], 'PostgreSQL');
    // psql sees ciphertext where the contact is.
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    const served = await client.query(
      'select agency, agency_email, agency_phone from gold.listing_agencies order by 1',
    );
    await client.end();
    assert.equal(served.rows.length, AGENCIES.length);
    for (const row of served.rows) {
      assert.match(row.agency_email, /^enc:k1:[\w-]+$/);
      assert.match(row.agency_phone, /^enc:k1:[\w-]+$/);
    }
    // The API over the same PostgreSQL: masked to anonymous readers and to a key without read:sensitive, in clear
    // with it; refused without a key where reads need one.
    const reader = 'agencies-reader-0123456789abcdef';
    const trusted = 'agencies-trusted-0123456789abcdef';
    const keyRing = keyRingOf(config)!;
    type Contact = { agency_email: string; agency_phone: string };
    const read = async (mode: 'open' | 'key', key?: string): Promise<Contact[] | number> => {
      const app = createApp({
        pool: rt.pool,
        settings: {
          rateLimitPerMinute: 0,
          read: mode,
          keys: [`${reader}@read:listing_*`, `${trusted}@read:listing_*+read:sensitive`],
        },
        keyRing,
      });
      const response = await app.request('/v1/tables/listing_agencies', {
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
      if (response.status !== 200) return response.status;
      return ((await response.json()) as { rows: Contact[] }).rows.map(({ agency_email, agency_phone }) => ({
        agency_email,
        agency_phone,
      }));
    };
    const masked = AGENCIES.map(() => ({ agency_email: '[sensitive]', agency_phone: '[sensitive]' }));
    assert.deepEqual(await read('open'), masked);
    assert.deepEqual(await read('key', reader), masked);
    assert.equal(await read('key'), 401);
    const clear = (await read('key', trusted)) as Contact[];
    assert.deepEqual(clear.map((r) => r.agency_email).sort(), AGENCIES.map((a) => a.email).sort());
    assert.deepEqual(clear.map((r) => r.agency_phone).sort(), AGENCIES.map((a) => a.phone).sort());
  });

  it('pnpm sql with the key reads the contacts in clear; DuckDB and pnpm sql without it see ciphertext', async () => {
    const query =
      'select agency, strata_decrypt(agency_email) as email, strata_decrypt(agency_phone) as phone from gold.listing_agencies order by agency';
    const clear = await sql(query, K1);
    for (const agency of AGENCIES) {
      assert.ok(clear.includes(agency.email), `${agency.email} in:\n${clear}`);
      assert.ok(clear.includes(agency.phone), agency.phone);
    }
    const refused = await sql(query, '');
    assert.match(refused, /^exit \d: .*strata_decrypt: no encryption key: set STRATA_ENCRYPTION_KEYS/s);
    const plain = await sql('select agency_email from silver.listings limit 3', '');
    assert.match(plain, /enc:k1:/);
    assert.deepEqual(leaks(plain), []);
    // Every silver listing's email decrypts to its agency's (60 listings, 4 agencies; the two rows without an id are dead letters).
    const listings = generateListings();
    const counted = await sql(
      `select count(*) filter (where strata_decrypt(agency_email) in (${AGENCIES.map((a) => `'${a.email}'`).join(', ')})) as ok, count(*) as n from silver.listings`,
      K1,
    );
    assert.match(counted, new RegExp(`\\b${listings.length}\\s+${listings.length}\\b`), counted);
    // DuckDB with nothing of Strata's: the gold file holds ciphertext.
    const goldFile = [...(await lakeTexts(lakeFolder)).keys()].find((f) =>
      f.startsWith(`gold${path.sep}listing_agencies`),
    )!;
    const rows = await withDuck((duck) =>
      duck.all(`select agency_email from read_parquet('${path.join(lakeFolder, goldFile)}')`),
    );
    assert.equal(rows.length, AGENCIES.length);
    for (const r of rows) assert.match(String(r.agency_email), /^enc:k1:/);
  });

  it('after a rotation, files under key 1 and key 2 both read, and lake:rekey with vacuum leaves only key 2', async () => {
    await rt.close();
    ({ config } = { config: { ...config, encryptionKeys: `${K1},${K2}` } });
    rt = await openRuntime(config);
    // New listings of two agencies arrive after the rotation: encrypted under k2 (gold then holds both keys).
    const newer = AGENCIES.slice(0, 2);
    writeFileSync(
      path.join(inbox, 'agency-dump-2026-12-01.csv'),
      `ref,town,price,surface_sqft,updated,agency,agency_email,agency_phone\n` +
        newer.map((a, i) => `N${i},LYON,"300 k€",${700 + i},2026-12-01,${a.name},${a.email},${a.phone}`).join('\n') +
        '\n',
    );
    await pipeline();
    const keys = `${K1},${K2}`;
    const both = await lakeTexts(lakeFolder);
    const live = [...both.values()].join('\n');
    assert.match(live, /enc:k1:/);
    assert.match(live, /enc:k2:/);
    const listings = generateListings().length + newer.length;
    const emails = AGENCIES.map((a) => `'${a.email}'`).join(', ');
    const counted = await sql(
      `select count(*) filter (where strata_decrypt(agency_email) in (${emails})) as ok, count(*) filter (where agency_email like 'enc:k2:%') as k2, count(*) as n from silver.listings`,
      keys,
    );
    assert.match(counted, new RegExp(`\\b${listings}\\s+\\d+\\s+${listings}\\b`), counted);
    assert.doesNotMatch(counted, new RegExp(`\\b${listings}\\s+0\\s+${listings}\\b`), 'some values under k2');

    // The command, as a user runs it after appending k2.
    const env = { ...process.env, ...envFor(config), STRATA_ENCRYPTION_KEYS: keys };
    const dry = await run(process.execPath, scriptArgs('bin/lake.ts', ['rekey', '--dry-run']), {
      cwd: PROJECT_ROOT,
      env,
    });
    assert.match(dry.stdout, /would move \d+ files of \d+ tables to key k2/);
    const { stdout } = await run(process.execPath, scriptArgs('bin/lake.ts', ['rekey']), { cwd: PROJECT_ROOT, env });
    const rewritten = Object.fromEntries(
      [...stdout.matchAll(/^\s+(\S+): rewrote (\d+) of \d+ files/gm)].map((m) => [m[1]!, Number(m[2])]),
    );
    for (const layer of [
      'bronze.listings',
      'bronze.listings__dead_letters',
      'silver.listings',
      'gold.listing_agencies',
    ])
      assert.ok(rewritten[layer]! > 0, `${layer}: ${stdout}`);
    assert.match(stdout, /moved \d+ files of \d+ tables to key k2; reloaded into PostgreSQL: listing_agencies/);
    const again = await rekeyLake(rt);
    assert.equal(again.key, 'k2');
    assert.equal(
      again.tables.reduce((n, t) => n + t.filesRewritten, 0),
      0,
      'a second run has nothing',
    );
    await vacuumLake(rt, { retentionMillis: 0 });

    const after = await lakeTexts(lakeFolder);
    for (const [file, text] of after) {
      assert.doesNotMatch(text, /enc:k1:/, file);
      assert.deepEqual(leaks(text), [], file);
    }
    const database = await postgresText(config.databaseUrl);
    assert.doesNotMatch(database.text, /enc:k1:/);
    assert.match(database.text, /enc:k2:/);
    // Key 2 alone now reads everything, and the rows are the same.
    const onlyK2 = await sql(
      `select count(*) filter (where strata_decrypt(agency_email) in (${emails})) as ok, count(*) as n from silver.listings`,
      K2,
    );
    assert.match(onlyK2, new RegExp(`\\b${listings}\\s+${listings}\\b`), onlyK2);
    const gold = await sql(
      'select count(*) filter (where strata_decrypt(agency_phone) is not null) as ok from gold.listing_agencies',
      K2,
    );
    assert.match(gold, new RegExp(`\\b${AGENCIES.length}\\b`));
  });

  it('a file source declared with --sensitive: encrypted, hashed and dropped columns, typed silver as text', async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'strata-customers-'));
    try {
      const csv = path.join(folder, 'customers.csv');
      writeFileSync(
        csv,
        'id,email,phone,note,spent\n1,ann@example.org,+44 20 7946 0000,VIP,12.5\n2,bob@example.org,+44 20 7946 0001,,3\n3,ann@example.org,+44 20 7946 0000,again,1\n',
      );
      const env = {
        ...process.env,
        ...envFor(config),
        STRATA_ENCRYPTION_KEYS: `${K1},${K2}`,
        STRATA_FILE_SOURCES: path.join(folder, 'file-sources.json'),
      };
      const cli = (script: string, args: string[]) =>
        run(process.execPath, scriptArgs(script, args), { cwd: PROJECT_ROOT, env, timeout: 120_000 });
      await cli('bin/ingest-file.ts', [csv, '--sensitive', 'email,phone=hash,note=drop']);
      await cli('bin/bronze.ts', ['--once']);
      await cli('bin/job.ts', ['silver', '--select', 'customers']);
      const { stdout } = await cli('bin/sql.ts', [
        '-c',
        "select id, strata_decrypt(email) as email, phone = strata_hash('+44 20 7946 0000') as same_phone, spent from silver.customers order by id",
      ]);
      assert.match(stdout, /1\s+ann@example\.org\s+true\s+12\.5/);
      assert.match(stdout, /2\s+bob@example\.org\s+false\s+3/);
      assert.match(stdout, /3\s+ann@example\.org\s+true\s+1/);
      // The hashes of one phone are equal (joins work); the note is gone; nothing is in clear in the lake.
      const columns = await cli('bin/sql.ts', [
        '-c',
        'select count(distinct phone) as phones, count(*) as n from silver.customers',
      ]);
      assert.match(columns.stdout, /\b2\s+3\b/);
      const described = await cli('bin/sql.ts', ['-c', 'describe silver.customers']);
      assert.doesNotMatch(described.stdout, /\bnote\b/);
      assert.match(described.stdout, /spent\s+DOUBLE/);
      const lake = [...(await lakeTexts(lakeFolder)).entries()].filter(([f]) => f.includes('customers'));
      assert.ok(lake.length >= 2, 'bronze and silver files of customers');
      for (const [file, text] of lake) {
        assert.doesNotMatch(text, /ann@example|bob@example|\+44 20 7946|\bnote\b/, file);
        assert.match(text, /enc:k2:/, file);
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
