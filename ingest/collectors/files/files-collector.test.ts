import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withDuck } from '../../../core/duckdb.ts';
import { isCheckpoint, recordsOf } from '../../source.ts';
import { filesCollector, linkInto, readerThreads } from './files-collector.ts';
import { type ArrayElement, JsonArraySplitter } from './json-array-splitter.ts';

let inbox: string;
before(() => {
  inbox = mkdtempSync(path.join(os.tmpdir(), 'strata-inbox-'));
});
after(() => rmSync(inbox, { recursive: true, force: true }));

/** Runs the collector like the runner does: records in order, checkpoints run when met. */
async function collect(): Promise<string[]> {
  const texts: string[] = [];
  for await (const item of filesCollector({ inbox })()) {
    if (isCheckpoint(item)) await item.checkpoint({ read: 0, published: 0, duplicates: 0, deadLettered: 0 });
    else texts.push(...recordsOf(item).map((r) => r.text));
  }
  return texts;
}

describe('filesCollector', () => {
  it('reads CSV, JSON arrays, NDJSON and Parquet, and moves each file to processed/', async () => {
    writeFileSync(
      path.join(inbox, 'a.csv'),
      'id,title,price\n1,"Flat, 2 rooms",250000\n2,"Loft ""Canal""\nwith terrace",410000\n3,no price\n',
    );
    writeFileSync(
      path.join(inbox, 'b.json'),
      '[ {"id": 4, "note": "a ] and a \\" inside"}, {"id": 5, "tags": ["x", {"y": [1, 2]}]} ]',
    );
    writeFileSync(path.join(inbox, 'c.ndjson'), '{"id":6}\n\n{"id":7,"s":"é"}\n');
    await withDuck((duck) =>
      duck.run(
        `copy (select 8 as id, 'house' as kind union all select 9, 'flat') to '${path.join(inbox, 'd.parquet')}' (format parquet)`,
      ),
    );
    const texts = await collect();
    assert.deepEqual(texts, [
      '{"id":"1","title":"Flat, 2 rooms","price":"250000"}',
      '{"id":"2","title":"Loft \\"Canal\\"\\nwith terrace","price":"410000"}',
      '3,no price',
      '{"id": 4, "note": "a ] and a \\" inside"}',
      '{"id": 5, "tags": ["x", {"y": [1, 2]}]}',
      '{"id":6}',
      '{"id":7,"s":"é"}',
      '{"id":8,"kind":"house"}',
      '{"id":9,"kind":"flat"}',
    ]);
    assert.deepEqual(readdirSync(path.join(inbox, 'processed')).sort(), [
      'a.csv',
      'a.csv.report.txt',
      'b.json',
      'b.json.report.txt',
      'c.ndjson',
      'c.ndjson.report.txt',
      'd.parquet',
      'd.parquet.report.txt',
    ]);
    assert.deepEqual(
      readdirSync(inbox).filter((n) => n !== 'processed'),
      [],
    );
  });

  it('moves a broken file to failed/ with the reason, keeping the records read before the break', async () => {
    writeFileSync(path.join(inbox, 'cut.json'), '[{"id":1},{"id":2},{"id":3');
    writeFileSync(path.join(inbox, 'notes.txt'), 'hello');
    const texts = await collect();
    assert.deepEqual(texts, ['{"id":1}', '{"id":2}']);
    const failed = path.join(inbox, 'failed');
    assert.deepEqual(readdirSync(failed).sort(), [
      'cut.json',
      'cut.json.reason.txt',
      'notes.txt',
      'notes.txt.reason.txt',
    ]);
    assert.match(
      readFileSync(path.join(failed, 'cut.json.reason.txt'), 'utf8'),
      /cut\.json: the JSON array is not closed \(truncated file\?\) \(after 2 records/,
    );
    assert.match(readFileSync(path.join(failed, 'notes.txt.reason.txt'), 'utf8'), /unsupported file type/);
  });

  it('leaves files that are still being written alone', async () => {
    writeFileSync(path.join(inbox, 'upload.csv.part'), 'id\n1\n');
    writeFileSync(path.join(inbox, '.hidden.csv'), 'id\n1\n');
    assert.deepEqual(await collect(), []);
    assert.ok(existsSync(path.join(inbox, 'upload.csv.part')) && existsSync(path.join(inbox, '.hidden.csv')));
  });

  it('streams a large file', async () => {
    writeFileSync(path.join(inbox, 'big.ndjson'), Array.from({ length: 100_000 }, (_, i) => `{"id":${i}}`).join('\n'));
    const texts = await collect();
    assert.equal(texts.length, 100_000);
    assert.equal(texts[99_999], '{"id":99999}');
  });
});

describe('filesCollector at volume', () => {
  /** Collects with a limit, returning records (text and, when rejected, the reason). */
  async function collectLimited(maxRecordBytes: number) {
    const records: { text: string; rejected?: string }[] = [];
    let read = 0;
    let rejected = 0;
    for await (const item of filesCollector({ inbox, maxRecordBytes })()) {
      if (isCheckpoint(item)) {
        // As the runner would count them, without a stream: every record new, the rejected ones dead-lettered.
        await item.checkpoint({ read, published: read - rejected, duplicates: 0, deadLettered: rejected });
        [read, rejected] = [0, 0];
      } else
        for (const record of recordsOf(item)) {
          records.push(record);
          read++;
          if (record.rejected) rejected++;
        }
    }
    return records;
  }

  it('rejects an NDJSON line past the limit with its first KiB, its line and its offset, and reads on', async () => {
    const long = `{"blob":"${'y'.repeat(3 * 1024 * 1024)}"}`;
    writeFileSync(path.join(inbox, 'big.ndjson'), `{"id":1}\n${long}\n{"id":2}\n{"id":3}`);
    const records = await collectLimited(1024 * 1024);
    assert.deepEqual(
      records.map((r) => [r.text.length, r.rejected ?? null]),
      [
        [8, null],
        [
          1024,
          `big.ndjson line 2 (byte 9): a record of ${long.length} bytes is larger than STRATA_MAX_EVENT_BYTES (1048576); only its first 1024 bytes are kept; raise the limit if such records are expected`,
        ],
        [8, null],
        [8, null],
      ],
    );
    assert.equal(records[1]!.text, long.slice(0, 1024));
    assert.deepEqual(
      records.filter((r) => !r.rejected).map((r) => r.text),
      ['{"id":1}', '{"id":2}', '{"id":3}'],
    );
  });

  it('rejects a JSON-array element past the limit and keeps the others', async () => {
    const big = `{"blob":"${'z'.repeat(20_000)}"}`;
    writeFileSync(path.join(inbox, 'big.json'), `[{"id":1},${big},{"id":2}]`);
    const records = await collectLimited(10_000);
    assert.deepEqual(
      records.map((r) => r.rejected ?? r.text),
      [
        '{"id":1}',
        `big.json element 1 (byte 10): a record of ${big.length} bytes is larger than STRATA_MAX_EVENT_BYTES (10000); only its first 1024 bytes are kept; raise the limit if such records are expected`,
        '{"id":2}',
      ],
    );
  });

  it('rejects CSV rows with too few or too many cells, invalid UTF-8 or a cut-off end, with line and byte', async () => {
    const rows = [
      'id,name,price\n', // bytes 0-13
      '1,a,10\n', // 14-20
      '2,b\n', // 21-24: too few
      '3,c,30,extra\n', // 25-37: too many
      '4,\ufffd genuine,40\n', // 38-54: a real U+FFFD is kept
    ];
    const bad = Buffer.from([0x35, 0x2c, 0xff, 0xfe, 0x2c, 0x35, 0x30, 0x0a]); // 55-62: "5,\xff\xfe,50"
    const tail = '6,"multi\nline",60\n7,"cut'; // 63-: a good two-line row, then a row cut in a quote
    writeFileSync(path.join(inbox, 'bad.csv'), Buffer.concat([Buffer.from(rows.join('')), bad, Buffer.from(tail)]));
    const records = await collectLimited(1024 * 1024);
    assert.deepEqual(
      records.map((r) => r.rejected ?? r.text),
      [
        '{"id":"1","name":"a","price":"10"}',
        'bad.csv line 3 (byte 21): 2 cells where the header has 3',
        'bad.csv line 4 (byte 25): 4 cells where the header has 3',
        '{"id":"4","name":"\ufffd genuine","price":"40"}',
        'bad.csv line 6 (byte 55): not valid UTF-8',
        '{"id":"6","name":"multi\\nline","price":"60"}',
        'bad.csv line 9 (byte 81): the file ends inside a quoted field (cut short?)',
      ],
    );
    assert.deepEqual(
      records.filter((r) => r.rejected).map((r) => r.text),
      ['2,b', '3,c,30,extra', '5,\ufffd\ufffd,50', '7,"cut'],
    );
    assert.equal(
      readFileSync(path.join(inbox, 'processed', 'bad.csv.report.txt'), 'utf8'),
      'bad.csv: 7 rows read: 3 published, 0 duplicate, 4 dead-lettered\n',
    );
  });

  it('rejects a JSON-array element that is not UTF-8 with its byte offset, and keeps the others', async () => {
    const file = Buffer.concat([
      Buffer.from('[{"id":1,"s":"é"},{"id":2,"s":"'), // the bad element starts at byte 19
      Buffer.from([0xc3, 0x28]), // byte 32: a lead byte without its continuation
      Buffer.from('"},{"id":3,"s":"\ufffd"}]'), // a real U+FFFD is valid UTF-8
    ]);
    writeFileSync(path.join(inbox, 'mixed.json'), file);
    const records = await collectLimited(1024);
    assert.deepEqual(
      records.map((r) => r.rejected ?? r.text),
      [
        '{"id":1,"s":"é"}',
        'mixed.json element 1 (byte 19): not valid UTF-8 (at byte 32 of the file)',
        '{"id":3,"s":"\ufffd"}',
      ],
    );
    assert.equal(records[1]!.text, '{"id":2,"s":"\ufffd("}');
  });

  it('streams a Parquet file of many chunks whole and in order', async () => {
    await withDuck((duck) =>
      duck.run(
        `copy (select i as id, 'r' || i as name from range(10007) t(i) order by i) to '${path.join(inbox, 'many.parquet')}' (format parquet, row_group_size 3000)`,
      ),
    );
    const records = await collectLimited(1024);
    assert.equal(records.length, 10_007);
    assert.deepEqual(records[0], { text: '{"id":0,"name":"r0"}' });
    assert.deepEqual(records[10_006], { text: '{"id":10006,"name":"r10006"}' });
    assert.ok(records.every((r, i) => JSON.parse(r.text).id === i));
  });
});

describe('filesCollector on a worker thread', () => {
  /** The same files in two inboxes: each read one way. */
  let inboxes: { here: string; worker: string };
  before(async () => {
    inboxes = {
      here: mkdtempSync(path.join(os.tmpdir(), 'strata-inbox-here-')),
      worker: mkdtempSync(path.join(os.tmpdir(), 'strata-inbox-worker-')),
    };
    const many = Array.from({ length: 60_000 }, (_, i) =>
      i === 31_234 ? `${i},short\n` : `${i},"name ${i}, ""quoted""",${i * 3}\n`,
    );
    const files: Record<string, string | Buffer> = {
      'a.csv': 'id,title,price\n1,"Flat, 2 rooms",250000\n2,"Loft ""Canal""\nwith terrace",410000\n3,no price\n',
      'b.json': '[ {"id": 4, "note": "a ] and a \\" inside"}, {"id": 5, "tags": ["x", {"y": [1, 2]}]} ]',
      'c.ndjson': '{"id":6}\n\n{"id":7,"s":"é"}\n',
      'cut.json': '[{"id":1},{"id":2},{"id":3',
      'bad.csv': Buffer.concat([
        Buffer.from('id,name,price\n1,a,10\n2,b\n3,c,30,extra\n'),
        Buffer.from([0x35, 0x2c, 0xff, 0xfe, 0x2c, 0x35, 0x30, 0x0a]),
        Buffer.from('6,"multi\nline",60\n7,"cut'),
      ]),
      'many.csv': `id,name,total\n${many.join('')}`,
    };
    for (const dir of Object.values(inboxes))
      for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  });
  after(() => {
    for (const dir of Object.values(inboxes)) rmSync(dir, { recursive: true, force: true });
  });

  /** Every record (text and reason) and every file the collector left in processed/ and failed/, with its text. */
  async function collectFrom(dir: string, workerFromBytes: number) {
    const records: { text: string; rejected?: string }[] = [];
    for await (const item of filesCollector({ inbox: dir, workerFromBytes })()) {
      if (isCheckpoint(item)) await item.checkpoint({ read: 1, published: 1, duplicates: 0, deadLettered: 0 });
      else records.push(...recordsOf(item));
    }
    const left = ['processed', 'failed'].flatMap((folder) =>
      readdirSync(path.join(dir, folder))
        .sort()
        .map((name) => [folder, name, readFileSync(path.join(dir, folder, name), 'utf8')]),
    );
    return { records, left };
  }

  it('gives the same records, reasons and moves as reading on the collector thread', async () => {
    const before = readerThreads.started;
    const here = await collectFrom(inboxes.here, Number.POSITIVE_INFINITY);
    assert.equal(readerThreads.started, before);
    const worker = await collectFrom(inboxes.worker, 0);
    assert.equal(readerThreads.started, before + 6, 'one thread a file');
    assert.equal(here.records.length, 3 + 2 + 2 + 2 + 6 + 60_000);
    assert.deepEqual(worker.records, here.records);
    assert.deepEqual(worker.left, here.left);
    // What crossed the thread is the records themselves: a bad row with its reason, a row cut short, the break.
    assert.ok(
      worker.records.some((r) => r.rejected === 'many.csv line 31236 (byte 1129746): 2 cells where the header has 3'),
    );
    assert.ok(worker.records.some((r) => r.rejected?.startsWith('bad.csv line 8 (byte 64): the file ends inside')));
    assert.match(
      worker.left.find(([, name]) => name === 'cut.json.reason.txt')![2]!,
      /the JSON array is not closed \(truncated file\?\) \(after 2 records/,
    );
  });
});

describe('JsonArraySplitter', () => {
  const texts = (elements: ArrayElement[]) => elements.map((e) => ({ ...e, bytes: e.bytes.toString('utf8') }));

  it('splits at the same places however the bytes are chunked, even inside a character', () => {
    const text = '[{"a":"x,]\\"é"}, [1,[2]], "s\\\\", 3 ]';
    const bytes = Buffer.from(text);
    const whole = texts(new JsonArraySplitter().push(bytes));
    const splitter = new JsonArraySplitter();
    const byByte = texts([...bytes].flatMap((_, i) => splitter.push(bytes.subarray(i, i + 1))));
    splitter.end();
    assert.deepEqual(
      whole.map((e) => e.bytes),
      ['{"a":"x,]\\"é"}', '[1,[2]]', '"s\\\\"', '3'],
    );
    // Positions are bytes: é takes two.
    assert.deepEqual(
      whole.map((e) => [e.index, e.at]),
      [
        [0, 1],
        [1, 18],
        [2, 27],
        [3, 34],
      ],
    );
    assert.deepEqual(byByte, whole);
  });

  it('gives an element past the limit as its first bytes and its length, however the bytes are chunked', () => {
    const big = `{"blob":"${'x'.repeat(5000)}"}`;
    const bytes = Buffer.from(`[{"a":1}, ${big}, {"b":2}]`);
    for (const size of [1, 7, 100, bytes.length]) {
      const splitter = new JsonArraySplitter(1000, 10);
      const out: ArrayElement[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...splitter.push(bytes.subarray(i, i + size)));
      splitter.end();
      assert.deepEqual(texts(out), [
        { bytes: '{"a":1}', index: 0, at: 1 },
        { bytes: '{"blob":"x', index: 1, at: 10, length: big.length },
        { bytes: '{"b":2}', index: 2, at: 10 + big.length + 2 },
      ]);
    }
  });

  it('refuses what is not an array, and reads past a byte order mark', () => {
    assert.throws(() => new JsonArraySplitter().push(Buffer.from('{"a":1}')), /expected a JSON array at byte 0/);
    assert.deepEqual(texts(new JsonArraySplitter().push(Buffer.from('\ufeff[1]'))), [{ bytes: '1', index: 0, at: 4 }]);
  });
});

describe('the inbox against odd file system entries', () => {
  it('refuses a processed/ folder that is a symbolic link', async () => {
    const own = mkdtempSync(path.join(os.tmpdir(), 'strata-linked-'));
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'strata-elsewhere-'));
    try {
      symlinkSync(elsewhere, path.join(own, 'processed'));
      writeFileSync(path.join(own, 'a.ndjson'), '{"id":1}\n');
      const run = async () => {
        for await (const _ of filesCollector({ inbox: own })());
      };
      await assert.rejects(run(), /processed \(where processed files go\) is a symbolic link; make it a real folder/);
      assert.deepEqual(readdirSync(elsewhere), []);
      assert.ok(existsSync(path.join(own, 'a.ndjson')));
    } finally {
      rmSync(own, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('does not follow a symbolic link: it goes to failed/ with the reason, its target untouched', async () => {
    const secret = path.join(mkdtempSync(path.join(os.tmpdir(), 'strata-secret-')), 'secret.ndjson');
    writeFileSync(secret, '{"password":"x"}\n');
    symlinkSync(secret, path.join(inbox, 'link.ndjson'));
    assert.deepEqual(await collect(), []);
    assert.match(
      readFileSync(path.join(inbox, 'failed', 'link.ndjson.reason.txt'), 'utf8'),
      /link\.ndjson: a symbolic link, which the inbox does not follow/,
    );
    assert.equal(readFileSync(secret, 'utf8'), '{"password":"x"}\n');
    rmSync(path.dirname(secret), { recursive: true, force: true });
  });

  it('reads a Parquet file whose name holds glob characters as that file alone', async () => {
    for (const [name, id] of [
      ['star*.parquet', 1],
      ['star-b.parquet', 2],
    ] as const)
      await withDuck((duck) => duck.run(`copy (select ${id} as id) to '${path.join(inbox, name)}' (format parquet)`));
    assert.deepEqual(await collect(), ['{"id":1}', '{"id":2}']);
  });

  it('never gives two files one name: concurrent links each claim their own', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-claims-'));
    const sources = Array.from({ length: 8 }, (_, i) => {
      const file = path.join(inbox, `claim-${i}.txt`);
      writeFileSync(file, String(i));
      return file;
    });
    const targets = await Promise.all(sources.map((f) => linkInto(f, dir, 'same.csv')));
    assert.equal(new Set(targets).size, 8);
    assert.deepEqual(targets.map((t) => readFileSync(t, 'utf8')).sort(), ['0', '1', '2', '3', '4', '5', '6', '7']);
    for (const f of sources) rmSync(f);
    rmSync(dir, { recursive: true, force: true });
  });
});
