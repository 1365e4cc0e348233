// The browser of the web collector's `render: 'browser'` mode: Debian's Chromium, installed like Redis and PostgreSQL.
import { existsSync } from 'node:fs';
import { TerminalError } from '../../../core/errors.ts';
import { ensureOsPackages, installCommand } from '../../../core/os-packages.ts';

/** Debian's `chromium` package puts the browser here; a path of the user's own is theirs to install. */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface EnsureChromiumOptions {
  /** Installs OS packages (default: apt-get as root, else an error naming the command). */
  install?: (packages: string[], why: string) => void;
  /** Where the OS package puts the browser. */
  packagePath?: string;
}

/** Installs Debian's Chromium as Redis and PostgreSQL are installed (as root), or stops naming the command to run. */
export function ensureChromium(executablePath: string, options: EnsureChromiumOptions = {}): void {
  const { install = ensureOsPackages, packagePath = DEBIAN_CHROMIUM } = options;
  if (existsSync(executablePath)) return;
  if (executablePath !== packagePath) {
    throw new TerminalError(
      `Chromium is not at ${executablePath} (STRATA_CHROMIUM_PATH); install it there, or unset STRATA_CHROMIUM_PATH to use Debian's ` +
        `chromium package (${installCommand(['chromium'])})`,
    );
  }
  install(['chromium'], `Chromium (${executablePath}, which renders JavaScript pages)`);
  if (!existsSync(executablePath))
    throw new TerminalError(`Installing chromium did not put a browser at ${executablePath}; set STRATA_CHROMIUM_PATH`);
}
