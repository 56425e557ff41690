/**
 * A throwaway PostgreSQL 15 server for tests (RECIPES.md): initdb refuses root, so the data
 * folder belongs to the `postgres` user; the server listens on a free loopback port with its
 * socket in the same folder, and is stopped and removed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const BIN = '/usr/lib/postgresql/15/bin';

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
  if (!existsSync(`${BIN}/initdb`)) throw new Error(`PostgreSQL 15 not found at ${BIN}: install postgresql-15`);
  const dir = mkdtempSync(join(tmpdir(), 'fg-pg-'));
  chmodSync(dir, 0o755);
  const { uid, gid } = uidGid('postgres');
  chownSync(dir, uid, gid);
  const port = await freePort();
  const asPostgres = (args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'pipe' });
  asPostgres([`${BIN}/initdb`, '-D', join(dir, 'data'), '-U', 'app', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  asPostgres([`${BIN}/pg_ctl`, '-D', join(dir, 'data'), '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-w', 'start']);
  asPostgres([`${BIN}/createdb`, '-h', '127.0.0.1', '-p', String(port), '-U', 'app', 'factorgate']);
  return {
    url: `postgres://app@127.0.0.1:${port}/factorgate`,
    port,
    async stop() {
      try {
        asPostgres([`${BIN}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
