import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamEntry } from './stream-reader.ts';
import { XReadParser } from './xread-parser.ts';

const bulk = (s: string | Buffer) =>
  Buffer.concat([Buffer.from(`$${Buffer.byteLength(s)}\r\n`), Buffer.from(s), Buffer.from('\r\n')]);
const reply = (entries: [string, (string | Buffer)[]][]) =>
  Buffer.concat([
    Buffer.from(`*1\r\n*2\r\n`),
    bulk('strata:stream:weather'),
    Buffer.from(`*${entries.length}\r\n`),
    ...entries.flatMap(([id, fields]) => [
      Buffer.from('*2\r\n'),
      bulk(id),
      Buffer.from(`*${fields.length}\r\n`),
      ...fields.map(bulk),
    ]),
  ]);

const ENTRIES: [string, (string | Buffer)[]][] = [
  ['1764000000000-0', ['envelope', '{"observed_at":"2026-11-01T00:00:00Z","payload":"ünïcode \\r\\n *2 $5"}']],
  ['1764000000000-1', ['envelope', Buffer.from('{"binary":"\r\n*1\r\n$3\r\nabc"}')]],
  ['1764000000001-0', ['foo', 'bar']],
  ['1764000000002-12', ['envelope', '']],
];
const view = (entries: StreamEntry[]) => entries.map((e) => ({ id: e.id, data: e.data?.toString('utf8'), raw: e.raw }));
const EXPECTED = [
  {
    id: '1764000000000-0',
    data: '{"observed_at":"2026-11-01T00:00:00Z","payload":"ünïcode \\r\\n *2 $5"}',
    raw: undefined,
  },
  { id: '1764000000000-1', data: '{"binary":"\r\n*1\r\n$3\r\nabc"}', raw: undefined },
  { id: '1764000000001-0', data: undefined, raw: '["foo","bar"]' },
  { id: '1764000000002-12', data: '', raw: undefined },
];

describe('XReadParser', () => {
  it('parses a reply whatever the chunk boundaries, even inside headers, CRLFs and payloads', () => {
    const bytes = reply(ENTRIES);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new XReadParser();
      assert.equal(parser.feed(bytes.subarray(0, cut)) && cut < bytes.length, false, `done too early at ${cut}`);
      assert.ok(parser.feed(bytes.subarray(cut)), `not done after both parts, cut at ${cut}`);
      assert.deepEqual(view(parser.entries), EXPECTED, `cut at ${cut}`);
    }
  });

  it('parses a reply fed a byte at a time, keeping entries that arrived whole as views', () => {
    const bytes = reply(ENTRIES);
    const parser = new XReadParser();
    for (let i = 0; i < bytes.length; i++) assert.equal(parser.feed(bytes.subarray(i, i + 1)), i === bytes.length - 1);
    assert.deepEqual(view(parser.entries), EXPECTED);
  });

  it('reads a nil reply (a blocking read that timed out) and an empty one as no entries', () => {
    for (const bytes of ['*-1\r\n', '*1\r\n*2\r\n$1\r\nk\r\n*0\r\n']) {
      const parser = new XReadParser();
      assert.ok(parser.feed(Buffer.from(bytes)));
      assert.deepEqual([parser.entries, parser.failure], [[], undefined]);
    }
  });

  it('reports an error reply', () => {
    const parser = new XReadParser();
    assert.ok(parser.feed(Buffer.from('-NOGROUP No such key or consumer group\r\n')));
    assert.equal(parser.failure, 'NOGROUP No such key or consumer group');
  });

  it('refuses what is not a reply to XREADGROUP', () => {
    assert.throws(() => new XReadParser().feed(Buffer.from('+OK\r\n')), /unexpected RESP reply: "\+OK"/);
  });
});
