/**
 * Starts a real factorgate host for a test: a temp folder with a config file, the file
 * directory with known users, SQLite (or a given store), a captured log, port 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { createLogger } from '../../src/audit/logger.js';
import { loadConfig } from '../../src/host/config/load.js';
import { createHost, type Host } from '../../src/host/host.js';
import { hashPassword } from '../../src/directory/password-hash.js';
import type { AdapterDefinition } from '../../src/api/host-api.js';
import type { Clock } from '../../src/kit/clock.js';
import type { Directory } from '../../src/directory/directory.js';
import { createDirectory } from '../../src/host/create-directory.js';
import { freePort } from './free-port.js';

export interface TestUser {
  username: string;
  password: string;
  displayName?: string;
  givenName?: string;
  surname?: string;
  email?: string;
  phone?: string;
  disabled?: boolean;
  /** Directory attributes (`memberOf`, read by the console's group roles too). */
  attributes?: Record<string, string[]>;
  /** Directory groups (names or DNs): policy rules and console roles match them. */
  groups?: string[];
}

export const DEFAULT_USERS: TestUser[] = [
  { username: 'alice', password: 'alice-password-1', displayName: 'Alice Martin', givenName: 'Alice', surname: 'Martin', email: 'alice@example.test', phone: '+33612345678' },
  { username: 'bob', password: 'bob-password-1', displayName: 'Bob Durand', email: 'bob@example.test' },
  { username: 'carol', password: 'carol-password-1', disabled: true },
];

export interface HarnessOptions {
  users?: TestUser[];
  /** Extra configuration merged over the defaults (plain YAML-able object). */
  config?: Record<string, unknown>;
  adapters?: AdapterDefinition[];
  clock?: Clock;
  /** Reuse a folder (two hosts on one store share it). */
  dir?: string;
  /** Listen here (a port chosen earlier, when a peer must know our URL before we start). */
  port?: number;
  /** Wraps the configured directory (to count or hold what reaches it). */
  wrapDirectory?: (configured: Directory) => Directory;
}

export interface RunningHost {
  host: Host;
  url: string;
  dir: string;
  logs: string[];
  close(): Promise<void>;
}

const hashCache = new Map<string, string>();
async function cachedHash(password: string): Promise<string> {
  let h = hashCache.get(password);
  if (!h) {
    h = await hashPassword(password);
    hashCache.set(password, h);
  }
  return h;
}

export function makeTempDir(prefix = 'fg-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function writeUsersFile(dir: string, users: TestUser[]): Promise<string> {
  const file = join(dir, 'users.yaml');
  const entries = [];
  for (const u of users) {
    const { password, ...rest } = u;
    entries.push({ ...rest, passwordHash: await cachedHash(password) });
  }
  writeFileSync(file, stringify({ users: entries }));
  return file;
}

export async function startHost(options: HarnessOptions = {}): Promise<RunningHost> {
  const dir = options.dir ?? makeTempDir();
  await writeUsersFile(dir, options.users ?? DEFAULT_USERS);
  const port = options.port ?? (await freePort());
  const config = {
    dataDir: join(dir, 'data'),
    server: { port, host: '127.0.0.1', publicUrl: `http://127.0.0.1:${port}`, shutdownTimeoutSeconds: 2 },
    logging: { level: 'debug' },
    directory: { type: 'file', path: 'users.yaml' },
    ...options.config,
  };
  const configFile = join(dir, 'factorgate.yaml');
  writeFileSync(configFile, stringify(config));
  const loaded = loadConfig({ configPath: configFile, adapters: options.adapters ?? [], env: {} });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination: sink });
  const directory = options.wrapDirectory ? options.wrapDirectory(createDirectory(loaded.host.directory, { logger, ...(options.clock ? { clock: options.clock } : {}) })) : undefined;
  const host = await createHost({ loaded, adapters: options.adapters ?? [], logger, devCertsDir: join(dir, 'certs'), ...(options.clock ? { clock: options.clock } : {}), ...(directory ? { directory } : {}) });
  await host.listen();
  const url = `http://127.0.0.1:${port}`;
  return {
    host,
    url,
    dir,
    logs,
    async close() {
      await host.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
