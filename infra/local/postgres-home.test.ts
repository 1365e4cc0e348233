import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sweepStaleHomes } from './postgres-home.ts';

describe('sweepStaleHomes', () => {
  it('removes the homes whose data folder no longer links to them, unless their server runs', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'strata-pg-homes-'));
    try {
      const home = (name: string, dataDir?: string) => {
        mkdirSync(path.join(root, name, 'postgres'), { recursive: true });
        if (dataDir) writeFileSync(path.join(root, name, 'data-folder'), `${dataDir}\n`);
        return path.join(root, name);
      };
      const liveData = path.join(root, 'checkout', '.strata');
      mkdirSync(liveData, { recursive: true });
      const live = home('live-1', liveData);
      symlinkSync(path.join(live, 'postgres'), path.join(liveData, 'postgres'));
      const deleted = home('deleted-2', path.join(root, 'gone', '.strata'));
      const foreign = home('foreign-3');
      const reset = home('reset-4', path.join(root, 'reset', '.strata'));
      mkdirSync(path.join(root, 'reset', '.strata'), { recursive: true }); // data folder recreated, with no link
      const running = home('running-5', path.join(root, 'gone-too', '.strata'));
      writeFileSync(path.join(running, 'postgres', 'postmaster.pid'), `${process.pid}\n`); // its server still runs

      assert.deepEqual(sweepStaleHomes(root).sort(), [deleted, reset].sort());
      assert.ok(existsSync(live) && existsSync(foreign) && existsSync(running));
      assert.ok(!existsSync(deleted) && !existsSync(reset));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
