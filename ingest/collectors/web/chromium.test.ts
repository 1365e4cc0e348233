import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ensureChromium } from './chromium.ts';
import { chromiumArgs } from './web-collector.ts';

describe('ensureChromium', () => {
  it("installs the OS package when the package's browser is missing, as Redis and PostgreSQL are", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-chromium-'));
    try {
      const browser = path.join(dir, 'chromium');
      const installed: string[][] = [];
      ensureChromium(browser, {
        packagePath: browser,
        install: (packages) => {
          installed.push(packages);
          writeFileSync(browser, '');
        },
      });
      assert.deepEqual(installed, [['chromium']]);
      assert.ok(existsSync(browser));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("installs nothing for a path of the user's own, and names the setting and the package command", () => {
    const installed: string[][] = [];
    assert.throws(
      () =>
        ensureChromium('/nowhere/chromium', {
          packagePath: '/usr/bin/chromium',
          install: (p) => void installed.push(p),
        }),
      /Chromium is not at \/nowhere\/chromium \(STRATA_CHROMIUM_PATH\).*apt-get install -y chromium/s,
    );
    assert.deepEqual(installed, []);
  });

  it("passes on the installer's error (without root: the command to run)", () => {
    assert.throws(
      () =>
        ensureChromium('/nowhere/chromium', {
          packagePath: '/nowhere/chromium',
          install: () => {
            throw new Error('Chromium is missing. Install it with: sudo apt-get install -y chromium');
          },
        }),
      /sudo apt-get install -y chromium/,
    );
  });
});

describe('chromiumArgs', () => {
  it("keeps Chromium's sandbox on for any user but root", () => {
    assert.ok(chromiumArgs(0).includes('--no-sandbox'));
    assert.ok(!chromiumArgs(1000).includes('--no-sandbox'));
    assert.ok(chromiumArgs(1000).includes('--disable-background-networking'));
  });
});
