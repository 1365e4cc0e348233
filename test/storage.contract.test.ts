// One contract for the lake's object store, run against both backends: file:// (a folder) and s3:// (s3rver).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore, type ObjectStore } from '../lake/storage/index.ts';
import { S3Store } from '../lake/storage/s3-store.ts';
import { isolatedConfig, type LakeKind } from './support/isolated.ts';

for (const kind of ['file', 's3'] as LakeKind[]) {
  describe(`object store contract (${kind}://)`, () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;
    let scratch: string;

    before(async () => {
      const isolated = await isolatedConfig(kind);
      cleanup = isolated.cleanup;
      store = openStore(isolated.config);
      scratch = path.join(isolated.config.dataDir, 'tmp', `scratch-${process.pid}-${kind}`);
      writeFileSync(scratch, 'parquet bytes stand-in');
    });
    after(async () => cleanup?.());

    it('stores bytes and reads them back unchanged', async () => {
      const info = await store.putBytes('a/one.txt', 'héllo');
      assert.equal(info.bytes, Buffer.byteLength('héllo'));
      assert.equal((await store.getBytes('a/one.txt')).toString(), 'héllo');
      assert.equal((await store.head('a/one.txt'))?.bytes, info.bytes);
    });

    it('uploads a local file under a nested key', async () => {
      const info = await store.putFile('bronze/weather/dt=2026-11-01/1-0_2-0.parquet', scratch);
      assert.equal(info.bytes, 22);
      assert.equal(
        (await store.getBytes('bronze/weather/dt=2026-11-01/1-0_2-0.parquet')).toString(),
        'parquet bytes stand-in',
      );
    });

    it('lists only keys under a prefix, sorted', async () => {
      await store.putBytes('a/three.txt', '3');
      await store.putBytes('b/other.txt', 'x');
      assert.deepEqual(
        (await store.list('a/')).map((o) => o.key),
        ['a/one.txt', 'a/three.txt'],
      );
      assert.deepEqual(
        (await store.list('bronze/')).map((o) => [o.key, o.bytes]),
        [['bronze/weather/dt=2026-11-01/1-0_2-0.parquet', 22]],
      );
    });

    it('answers undefined for a missing key and forgets a deleted one', async () => {
      assert.equal(await store.head('a/missing.txt'), undefined);
      await store.delete('a/three.txt');
      assert.equal(await store.head('a/three.txt'), undefined);
      assert.deepEqual(
        (await store.list('a/')).map((o) => o.key),
        ['a/one.txt'],
      );
    });

    it('gives DuckDB a local path holding the current version of an object', async () => {
      const first = await store.localPath('a/one.txt');
      assert.equal(readFileSync(first, 'utf8'), 'héllo');
      await store.putBytes('a/one.txt', 'changed');
      const second = await store.localPath('a/one.txt');
      assert.equal(readFileSync(second, 'utf8'), 'changed');
    });

    it('uploads and reads back a big file byte for byte (multipart on S3)', async () => {
      const big = Buffer.alloc(20 * 1024 * 1024 + 12_345);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
      writeFileSync(scratch, big);
      const info = await store.putFile('bronze/big/dt=2026-11-01/big.parquet', scratch);
      assert.equal(info.bytes, big.length);
      if (store instanceof S3Store) assert.equal(store.uploads.multipart, 1, 'the big file went up in parts');
      assert.ok(readFileSync(await store.localPath('bronze/big/dt=2026-11-01/big.parquet')).equals(big));
      await store.delete('bronze/big/dt=2026-11-01/big.parquet');
    });

    it('replaces an object whole when the same key is written again', async () => {
      await store.putBytes('a/one.txt', 'v3');
      assert.equal((await store.getBytes('a/one.txt')).toString(), 'v3');
      assert.equal((await store.list('a/')).length, 1);
    });

    it('sweeps local leftovers older than asked: unfinished writes, and cached copies of unknown objects', async () => {
      await store.putBytes('c/known.txt', 'k');
      await store.putBytes('c/gone.txt', 'g');
      const cached = [await store.localPath('c/known.txt'), await store.localPath('c/gone.txt')];
      // An unfinished write of each backend: the file store's temporary sibling, the S3 cache's partial download.
      const unfinished = kind === 'file' ? `${cached[0]}.tmp-1234` : `${cached[0]}.part-1234`;
      writeFileSync(unfinished, 'half');
      const known = new Set(['c/known.txt', 'a/one.txt']);
      const soon = new Date(Date.now() + 60_000);
      assert.deepEqual(await store.sweep({ before: new Date(Date.now() - 60_000), known, dryRun: false }), {
        temporary: [],
        staleCache: [],
      });
      const found = await store.sweep({ before: soon, known, dryRun: true });
      assert.deepEqual(found.temporary, [unfinished]);
      // Only S3 has a cache (the file store's objects are the lake itself): copies of objects no longer known go, the
      // deleted big file's among them.
      assert.deepEqual(
        found.staleCache.map((f) => path.basename(f).replace(/\.[^.]*$/, '')),
        kind === 's3' ? ['big.parquet', 'gone.txt'] : [],
      );
      assert.ok(existsSync(unfinished), 'a dry run removes nothing');
      await store.sweep({ before: soon, known, dryRun: false });
      assert.ok(!existsSync(unfinished));
      assert.equal(existsSync(cached[1]!), kind === 'file');
      assert.equal(readFileSync(await store.localPath('c/known.txt'), 'utf8'), 'k');
    });
  });
}
