// PostgreSQL in local mode: the OS binaries (initdb, pg_ctl), the cluster under <data dir>/postgres (or linked from
// there: see postgres-home.ts), loopback only.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../core/config.ts';
import { TerminalError } from '../../core/errors.ts';
import { ensureOsPackages, findBinary, isRoot, run } from '../../core/os-packages.ts';
import { postgresHome } from './postgres-home.ts';
import { waitUntil } from './process.ts';
import { pidFileOf, type LocalService } from './service.ts';

/** pg_ctl lives outside PATH on Debian (/usr/lib/postgresql/<major>/bin); the newest major wins. */
function postgresBinDir(): string | undefined {
  const onPath = findBinary('pg_ctl');
  if (onPath && findBinary('initdb')) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((d) => existsSync(path.join(root, d, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(root, majors[0], 'bin') : undefined;
}

/** PostgreSQL refuses to run as root: as root, its files belong to the `postgres` system user (created if absent). */
function osUser(): string | undefined {
  if (!isRoot()) return undefined;
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) {
    run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  }
  return 'postgres';
}

function asUser(user: string | undefined, command: string, args: string[]): [string, string[]] {
  return user ? ['runuser', ['-u', user, '--', command, ...args]] : [command, args];
}

export function postgresService(config: Config): LocalService {
  const url = new URL(config.databaseUrl);
  const host = url.hostname;
  const port = Number(url.port || 5432);
  const user = decodeURIComponent(url.username || 'postgres');
  const password = decodeURIComponent(url.password);
  const database = url.pathname.slice(1) || user;
  const adminUrl = () => {
    const u = new URL(config.databaseUrl);
    u.pathname = '/postgres';
    return u.toString();
  };
  const canConnect = async (connectionString: string) => {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };
  return {
    name: 'postgres',
    // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to disconnect.
    stopSignal: 'SIGINT',
    host,
    port,
    isHealthy: () => canConnect(adminUrl()),
    async start() {
      if (!postgresBinDir()) ensureOsPackages(['postgresql'], 'PostgreSQL (initdb, pg_ctl)');
      const bin = postgresBinDir()!;
      const owner = osUser();
      const home = postgresHome(config, { osUser: owner });
      const { clusterDir, logFile } = home;
      // Run from a folder the server's user can enter: initdb and pg_ctl complain about an unreachable working folder.
      const asOwner = (command: string, args: string[]) => {
        const [cmd, argv] = asUser(owner, path.join(bin, command), args);
        return run(cmd, argv, { stdio: 'pipe', cwd: home.workDir });
      };
      if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
        rmSync(clusterDir, { recursive: true, force: true });
        mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
        const pwFile = path.join(home.workDir, 'pg-password');
        writeFileSync(pwFile, password || user, { mode: 0o600 });
        if (owner) run('chown', ['-R', owner, clusterDir, pwFile]);
        try {
          asOwner('initdb', [
            '-D',
            clusterDir,
            '-U',
            user,
            '--auth=scram-sha-256',
            `--pwfile=${pwFile}`,
            '-E',
            'UTF8',
            '--locale=C.UTF-8',
          ]);
        } catch (error) {
          throw new TerminalError(`initdb failed for ${clusterDir}${owner ? ` (run as the ${owner} user)` : ''}`, {
            cause: error,
          });
        } finally {
          rmSync(pwFile, { force: true });
        }
      }
      if (owner) {
        run('chown', ['-R', owner, clusterDir]);
        writeFileSync(logFile, '', { flag: 'a' });
        if (!home.outside) chmodSync(logFile, 0o666);
      }
      // No unix socket: its path length is limited and /var/run/postgresql may not be writable; TCP on loopback only.
      const options = `-c listen_addresses=${host} -p ${port} -c unix_socket_directories=''`;
      asOwner('pg_ctl', ['-D', clusterDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
      // postmaster.pid's first line is the server's pid: link it as ours so infra:down stops it.
      const pid = readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
      mkdirSync(path.dirname(pidFileOf(config, 'postgres')), { recursive: true });
      writeFileSync(pidFileOf(config, 'postgres'), pid);
      await waitUntil(() => canConnect(adminUrl()), `PostgreSQL on ${host}:${port} (log: ${logFile})`);
    },
    async prepare() {
      if (await canConnect(config.databaseUrl)) return;
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        await client.query(`create database ${pg.escapeIdentifier(database)}`);
      } finally {
        await client.end();
      }
    },
  };
}
