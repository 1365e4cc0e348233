// Where local PostgreSQL keeps its cluster. As root, PostgreSQL runs as the `postgres` system user, which cannot enter
// a private folder (a clone in /root, mode 0700, or under `mktemp -d`); the cluster then lives in
// /var/lib/strata/<folder>-<hash>/, owned by that user, linked from the data folder (decision 0019).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.ts';
import { run } from '../../core/os-packages.ts';
import { livePid } from './process.ts';
import { logDir } from './service.ts';

/** Clusters of data folders the server's user cannot enter live under this folder. */
export const OUTSIDE_ROOT = '/var/lib/strata';
/** In an outside home: the data folder it belongs to (a home whose folder no longer links to it is removed). */
const OWNER_FILE = 'data-folder';

export interface PostgresHome {
  /** The cluster (initdb -D); `<data dir>/postgres`, or a link to it there. */
  clusterDir: string;
  /** pg_ctl's log; `<data dir>/logs/postgres.log`, or a link to it there. */
  logFile: string;
  /** A folder the server's user can enter: commands run from here and initdb's password file is written here. */
  workDir: string;
  /** True when the cluster lives outside the data folder. */
  outside: boolean;
}

export interface PostgresHomeOptions {
  /** The OS user the server runs as (root's case); undefined when it runs as the current user. */
  osUser?: string;
  outsideRoot?: string;
}

/** Finds or makes the cluster's home for a data folder (see the module comment). */
export function postgresHome(config: Config, options: PostgresHomeOptions = {}): PostgresHome {
  const outsideRoot = options.outsideRoot ?? OUTSIDE_ROOT;
  const cluster = path.join(config.dataDir, 'postgres');
  const log = path.join(logDir(config), 'postgres.log');
  mkdirSync(logDir(config), { recursive: true });
  const linked = linkTarget(cluster);
  if (linked && existsSync(linked)) return outsideHome(path.dirname(linked));
  if (linked) rmSync(cluster); // its home was deleted: start afresh
  const local = { clusterDir: cluster, logFile: log, workDir: path.join(config.dataDir, 'run'), outside: false };
  mkdirSync(local.workDir, { recursive: true });
  if (!options.osUser || existsSync(path.join(cluster, 'PG_VERSION')) || canEnter(options.osUser, local.workDir))
    return local;

  sweepStaleHomes(outsideRoot);
  const home = path.join(outsideRoot, homeName(config.dataDir));
  rmSync(home, { recursive: true, force: true }); // left by an earlier data folder at the same path, since deleted
  mkdirSync(outsideRoot, { recursive: true, mode: 0o755 });
  run('chmod', ['755', outsideRoot]); // the server's user enters it; an earlier mkdir may have made it private
  mkdirSync(path.join(home, 'postgres'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(home, OWNER_FILE), `${config.dataDir}\n`);
  writeFileSync(path.join(home, 'postgres.log'), '');
  run('chown', ['-R', options.osUser, home]);
  run('chmod', ['700', home]);
  rmSync(cluster, { recursive: true, force: true });
  symlinkSync(path.join(home, 'postgres'), cluster);
  rmSync(log, { force: true });
  symlinkSync(path.join(home, 'postgres.log'), log);
  return outsideHome(home);
}

/** Removes outside homes whose data folder no longer links to them (deleted or reset) and whose server is down. */
export function sweepStaleHomes(outsideRoot = OUTSIDE_ROOT): string[] {
  if (!existsSync(outsideRoot)) return [];
  const removed: string[] = [];
  for (const entry of readdirSync(outsideRoot)) {
    const home = path.join(outsideRoot, entry);
    const ownerFile = path.join(home, OWNER_FILE);
    if (!existsSync(ownerFile)) continue; // not one of ours
    const dataDir = readFileSync(ownerFile, 'utf8').trim();
    if (linkTarget(path.join(dataDir, 'postgres')) === path.join(home, 'postgres')) continue;
    if (livePid(path.join(home, 'postgres', 'postmaster.pid')) !== undefined) continue;
    rmSync(home, { recursive: true, force: true });
    removed.push(home);
  }
  return removed;
}

function outsideHome(home: string): PostgresHome {
  return {
    clusterDir: path.join(home, 'postgres'),
    logFile: path.join(home, 'postgres.log'),
    workDir: home,
    outside: true,
  };
}

/** `<last folder name>-<hash of the whole path>`: readable in a listing, unique per data folder. */
function homeName(dataDir: string): string {
  const readable =
    path
      .basename(path.dirname(dataDir))
      .replace(/[^\w.-]/g, '_')
      .slice(0, 40) || 'root';
  return `${readable}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

function linkTarget(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? path.resolve(path.dirname(file), readlinkSync(file)) : undefined;
  } catch {
    return undefined;
  }
}

/** True when `user` can enter `dir` (and so every folder above it). */
function canEnter(user: string, dir: string): boolean {
  return spawnSync('runuser', ['-u', user, '--', 'test', '-x', dir], { cwd: '/' }).status === 0;
}
