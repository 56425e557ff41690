/**
 * A throwaway PostgreSQL server for tests (RECIPES.md): initdb refuses root, so the data
 * folder belongs to the `postgres` user; the server listens on a free loopback port with its
 * socket in the same folder, and is stopped and removed afterwards. Any installed major version
 * serves: the binaries are found with `pg_config --bindir`, else in the Debian layout.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const DEBIAN_ROOT = '/usr/lib/postgresql';

function hasServer(dir: string): boolean {
  return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
}

/**
 * The folder of the PostgreSQL server binaries: pg_config's answer when a server is installed
 * there, else the newest /usr/lib/postgresql/<major>/bin (pg_config comes with libpq-dev and may
 * name a client-only version). The same rule as scripts/install-system-deps.sh.
 */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (dir !== '' && hasServer(dir)) return dir;
  } catch {
    // No pg_config on PATH: fall back to the Debian layout.
  }
  const majors = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT)
        .filter((d) => /^\d+(\.\d+)?$/.test(d))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const dir = join(DEBIAN_ROOT, major, 'bin');
    if (hasServer(dir)) return dir;
  }
  throw new Error('no PostgreSQL server found (pg_config --bindir, /usr/lib/postgresql/*/bin); run: sudo bash scripts/install-system-deps.sh');
}

export interface TestPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function uidGid(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  return { uid, gid };
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'fg-pg-'));
  chmodSync(dir, 0o755);
  const { uid, gid } = uidGid('postgres');
  chownSync(dir, uid, gid);
  const port = await freePort();
  const asPostgres = (args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'pipe' });
  asPostgres([`${bin}/initdb`, '-D', join(dir, 'data'), '-U', 'app', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  asPostgres([`${bin}/pg_ctl`, '-D', join(dir, 'data'), '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', 'start']);
  asPostgres([`${bin}/createdb`, '-h', '127.0.0.1', '-p', String(port), '-U', 'app', 'factorgate']);
  return {
    url: `postgres://app@127.0.0.1:${port}/factorgate`,
    port,
    async stop() {
      try {
        asPostgres([`${bin}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
