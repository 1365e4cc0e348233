// The CSV scanner against csv-parse: on thousands of generated rows, plain and quoted, with blanks, escaped quotes,
// newlines in quotes, CRLF, a BOM, bad UTF-8, short and long rows, and the shapes that send it back to csv-parse,
// the records and rejections (with their lines and byte offsets) are exactly those of csv-parse alone.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { RawRecord } from '../../source.ts';
import { CsvScanner } from './csv-scanner.ts';
import { csvRecords } from './files-collector.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = [
  'abc',
  '  padded  ',
  '',
  '12.5',
  'é€😀',
  '"quoted, with comma"',
  '"say ""hi"""',
  '"two\nlines"',
  '"  "',
];
const UNUSUAL = ['ab"c', '"x" y', ' "lead"', 'lone\rcr'];

function csvFile(seed: number, unusual: boolean): Buffer {
  const next = random(seed);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]!;
  const eol = next() < 0.5 ? '\n' : '\r\n';
  const parts: Buffer[] = [];
  if (next() < 0.2) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  parts.push(Buffer.from(`id, name ,value${eol}`));
  const rows = 20 + Math.floor(next() * 200);
  for (let r = 0; r < rows; r++) {
    const roll = next();
    if (roll < 0.03)
      parts.push(Buffer.from(eol)); // an empty line
    else if (roll < 0.05)
      parts.push(Buffer.from([0x61, 0xff, 0x2c, 0x62, 0x2c, 0x63, ...Buffer.from(eol)])); // not UTF-8
    else {
      const cells = 3 + (next() < 0.06 ? (next() < 0.5 ? -1 : 1) : 0);
      const values = Array.from({ length: cells }, () => (unusual && next() < 0.01 ? pick(UNUSUAL) : pick(COMMON)));
      parts.push(Buffer.from(values.join(',') + eol));
    }
  }
  if (next() < 0.3)
    parts.push(Buffer.from('last,row,"cut short')); // a file cut inside a quote
  else if (next() < 0.5) parts.push(Buffer.from('no,newline,at end'));
  return Buffer.concat(parts);
}

async function read(file: string, scan: boolean, maxBytes = 1_048_576): Promise<RawRecord[]> {
  const records: RawRecord[] = [];
  for await (const group of csvRecords(file, ',', maxBytes, scan)) records.push(...group);
  return records;
}

describe('CsvScanner', () => {
  it('reads what csv-parse reads, rejections and their places included, on 400 generated files', async () => {
    let scanned = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const unusual = seed % 4 === 0;
      const file = path.join(dir, `f${seed}.csv`);
      const bytes = csvFile(seed, unusual);
      writeFileSync(file, bytes);
      const expected = await read(file, false);
      assert.deepEqual(await read(file, true), expected, `file ${seed}`);
      const scanner = new CsvScanner(0x2c, 1_048_576);
      for (let at = 0; at < bytes.length && !scanner.unusual; at += 7) scanner.push(bytes.subarray(at, at + 7));
      if (!scanner.unusual) scanner.push(Buffer.alloc(0), true);
      if (!scanner.unusual) scanned++;
    }
    // Most files are read by the scanner to their end (the others partly), so both paths were compared.
    assert.ok(scanned > 100, `${scanned} files scanned whole`);
  });

  it('gives each row its line and byte offset, across chunks of any size', () => {
    const text = 'a,b\r\n1,"x\ny"\r\n\r\n2,z\r\n';
    for (const size of [1, 2, 3, 5, 64]) {
      const scanner = new CsvScanner(0x2c, 1000);
      const rows = [];
      for (let at = 0; at < text.length; at += size) rows.push(...scanner.push(Buffer.from(text.slice(at, at + size))));
      rows.push(...scanner.push(Buffer.alloc(0), true));
      assert.equal(scanner.unusual, undefined);
      assert.deepEqual(
        rows.map((r) => [r.cells, r.line, r.start]),
        [
          [['a', 'b'], 1, 0],
          [['1', 'x\ny'], 2, 5],
          [['2', 'z'], 5, 16],
        ],
        `chunks of ${size}`,
      );
    }
  });

  it('places a bad row of a CRLF file exactly, read by either', async () => {
    const file = path.join(dir, 'crlf.csv');
    writeFileSync(file, 'a,b\r\n1,2\r\n\r\n3\r\n"x\r\ny",4,5\r\n');
    for (const scan of [true, false])
      assert.deepEqual(
        (await read(file, scan)).map((r) => [r.text, r.rejected]),
        [
          ['{"a":"1","b":"2"}', undefined],
          ['3', 'crlf.csv line 4 (byte 12): 1 cells where the header has 2'],
          ['"x\r\ny",4,5', 'crlf.csv line 5 (byte 15): 3 cells where the header has 2'],
        ],
        scan ? 'scanned' : 'csv-parse alone',
      );
  });

  it('stops at a row longer than the limit, for csv-parse to cut', () => {
    const scanner = new CsvScanner(0x2c, 10);
    scanner.push(Buffer.from('a,b\nshort,1\nthis row is far too long,2\n'), true);
    assert.deepEqual(scanner.unusual, { byte: 12, line: 3 });
  });
});
