import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Pool } from './postgres.ts';
import { LogSink } from './log.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A PostgreSQL that never takes a line: every line ends in the fallback files. */
const refusing = { query: async () => Promise.reject(new Error('connection refused')) } as unknown as Pool;
const lineCount = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

describe('LogSink fallback files', () => {
  it('rotates past maxFileBytes, keeps keepFiles of them, and counts and says what the oldest held', async () => {
    const file = path.join(dir, 'job.log');
    const notices: string[] = [];
    const sink = new LogSink(refusing, {
      command: 'job',
      fallbackFile: file,
      maxBuffered: 10,
      maxFileBytes: 4096,
      keepFiles: 2,
      flushMillis: 60_000,
      notice: (text) => notices.push(text),
    });
    // 2,000 lines of ≈ 100 bytes: ≈ 200 KB through files of 4 KB, of which 3 are kept.
    for (let i = 0; i < 2000; i++) sink.write('info', `line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`);
    await sink.close(0);
    const kept = [file, `${file}.1`, `${file}.2`].map(lineCount);
    assert.equal(existsSync(`${file}.3`), false);
    for (const rotated of [`${file}.1`, `${file}.2`]) assert.ok(readFileSync(rotated).length <= 4096, rotated);
    // Every line is in a file or counted lost: none vanish unsaid.
    assert.equal(kept.reduce((a, b) => a + b, 0) + sink.counts.lost, 2000);
    assert.ok(sink.counts.lost > 1500, `lost ${sink.counts.lost}`);
    assert.ok(
      notices.some((n) =>
        /^logs: \d+ lines lost: .*job\.log\.2 was deleted to keep the fallback files to 3 of 4 KiB/.test(n),
      ),
    );
    // The newest lines are the ones kept, the last in the current file.
    assert.match(readFileSync(file, 'utf8').trim().split('\n').at(-1)!, /line 1999/);
  });
});
