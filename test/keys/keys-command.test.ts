/**
 * `factorgate keys rotate|rewrap|retire|status` through the built command, against the store of
 * a running host (SQLite, then PostgreSQL), as an administrator runs them.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { startHost, makeTempDir, type RunningHost } from '../support/host-harness.js';
import { builtinAdapters } from '../../adapters/index.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { SEALED_COLUMNS, adapterBoxes, openAll, seedSealedRows } from './support/sealed-rows.js';
import { secretKeysFor } from '../../src/keys/secret-keys.js';
import { systemClock } from '../../src/kit/clock.js';

/** The running host's boxes: its own, and each adapter's over the same ring. */
function boxesOf(h: RunningHost): [RunningHost['host']['api']['secrets'], ReturnType<typeof adapterBoxes>] {
  return [h.host.api.secrets, adapterBoxes(secretKeysFor(h.host.config), systemClock)];
}

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/factorgate.js');
const PER_COLUMN = 5;
const TOTAL = PER_COLUMN * SEALED_COLUMNS.length;

async function factorgate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, FACTORGATE_CONFIG: '' } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout, err: err.stderr };
  }
}

/** The host's configuration as the file now says (after rotate/retire edited it). */
function secretsOf(dir: string): Record<string, unknown> {
  return (parse(readFileSync(join(dir, 'factorgate.yaml'), 'utf8')) as { secrets: Record<string, unknown> }).secrets;
}

function scenario(name: string, storeConfig: () => Promise<Record<string, unknown>>) {
  describe(`keys commands on ${name} with a host running`, () => {
    let host: RunningHost | undefined;
    const dir = makeTempDir();
    const config = join(dir, 'factorgate.yaml');
    afterAll(async () => host?.close());

    it('rotates, refuses to retire a key in use, rewraps while the host serves, retires, and the host still opens every secret', async () => {
      const store = await storeConfig();
      mkdirSync(join(dir, 'keys'), { recursive: true });
      writeFileSync(join(dir, 'keys', 'k1.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      host = await startHost({ adapters: builtinAdapters, dir, config: { store, secrets: { keys: [{ id: 'k1', keyFile: 'keys/k1.key' }] } } });
      await seedSealedRows(host.host.api.store.db, host.host.api.secrets, PER_COLUMN);
      const pairwiseKey = host.host.api.secrets.deriveKey('saml-idp pairwise nameid v1');

      let r = await factorgate('keys', 'status', '--config', config);
      // Plus the pairwise-identifier root the host stored at its first start.
      expect(r).toMatchObject({ code: 0, out: `k1\tcurrent\t${TOTAL + 1} values\n` });

      r = await factorgate('keys', 'rotate', '--id', 'k2', '--config', config);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`added key k2 to secrets.keys in ${config}`);
      expect(r.out).toContain('factorgate keys rewrap');
      expect(r.out).toContain('factorgate keys retire k1');
      const newKeyFile = join(dir, 'keys', 'k2.key');
      expect(r.out).toContain(newKeyFile);
      expect(statSync(newKeyFile).mode & 0o777).toBe(0o600);
      expect(r.out).not.toContain(readFileSync(newKeyFile, 'utf8').trim());
      const keys = secretsOf(dir).keys as { id: string; keyFile: string; activeFrom?: string }[];
      expect(keys.map((k) => k.id)).toEqual(['k1', 'k2']);
      expect(keys[1]).toMatchObject({ keyFile: newKeyFile, activeFrom: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

      r = await factorgate('keys', 'retire', 'k1', '--config', config);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`key k1 still encrypts ${PER_COLUMN} in factors.secret_enc`);
      expect(r.err).toContain('run factorgate keys rewrap first');

      // The host picks the new key up at its restart, as the command said.
      await host.close();
      host = await startHost({ adapters: builtinAdapters, dir, config: { store, secrets: secretsOf(dir) } });
      expect(host.host.api.secrets.currentKeyId).toBe('k2');
      expect(host.host.api.secrets.encrypt('x', 'c').startsWith('fg1.k2.')).toBe(true);

      r = await factorgate('keys', 'rewrap', '--batch', '2', '--config', config);
      expect(r.code).toBe(0);
      expect(r.out).toContain('rewrap: every value uses k2');
      expect(r.out).toContain(`factors.secret_enc\t${PER_COLUMN} scanned\t${PER_COLUMN} re-encrypted\t0 changed meanwhile`);
      // The running host opens every value the command rewrote.
      const opened = await openAll(host.host.api.store.db, ...boxesOf(host));
      // The adapters' values, sealed with the host's box as before 2.0, moved into their own subkeys.
      await expect(openAll(host.host.api.store.db, host.host.api.secrets)).rejects.toMatchObject({ code: 'SECRET_TAMPERED' });
      expect(opened).toHaveLength(TOTAL + 1);
      expect(opened.every((v) => v.kid === 'k2')).toBe(true);

      r = await factorgate('keys', 'retire', 'k1', '--config', config);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/forms and sent codes made under k1 are accepted until \d{4}-.*: retire after that/);

      r = await factorgate('keys', 'retire', 'k1', '--skip-grace', '--config', config);
      expect(r.code).toBe(0);
      expect(r.out).toContain('retired key k1');
      expect(r.out).toContain(`${join(dir, 'keys', 'k1.key')} is no longer read`);
      expect((secretsOf(dir).keys as { id: string }[]).map((k) => k.id)).toEqual(['k2']);

      r = await factorgate('keys', 'retire', 'k2', '--config', config);
      expect(r.code).toBe(1);
      expect(r.err).toContain('key k2 is the current key');

      await host.close();
      host = await startHost({ adapters: builtinAdapters, dir, config: { store, secrets: secretsOf(dir) } });
      expect(await openAll(host.host.api.store.db, ...boxesOf(host))).toHaveLength(TOTAL + 1);
      expect(host.host.api.secrets.keyIds).toEqual(['k2']);
      // Pairwise SAML identifiers survive the retirement of the key they were first derived from.
      expect(host.host.api.secrets.deriveKey('saml-idp pairwise nameid v1').equals(pairwiseKey)).toBe(true);
      r = await factorgate('keys', 'status', '--config', config);
      expect(r.out).toBe(`k2\tcurrent\t${TOTAL + 1} values\n`);
    }, 120_000);
  });
}

scenario('SQLite', async () => ({ driver: 'sqlite' }));

let pg: TestPostgres | undefined;
afterAll(async () => pg?.stop());
scenario('PostgreSQL', async () => {
  pg = await startPostgres();
  return { driver: 'postgres', url: pg.url };
});

describe('keys commands on the demo key ring (no secrets.keys)', () => {
  it('rotate writes local-2.key, and retire renames local-1.key once no value uses it', async () => {
    const dir = makeTempDir();
    let host = await startHost({ adapters: builtinAdapters, dir });
    const config = join(dir, 'factorgate.yaml');
    const keysDir = join(dir, 'data', 'keys');
    await seedSealedRows(host.host.api.store.db, host.host.api.secrets, 2);
    let r = await factorgate('keys', 'rotate', '--config', config);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`added key local-2 in ${join(keysDir, 'local-2.key')}`);
    expect(r.out).toContain('restart factorgate');
    await host.close();
    host = await startHost({ adapters: builtinAdapters, dir });
    try {
      expect(host.host.api.secrets.keyIds).toEqual(['local-1', 'local-2']);
      expect((await factorgate('keys', 'rewrap', '--config', config)).code).toBe(0);
      r = await factorgate('keys', 'retire', 'local-1', '--skip-grace', '--config', config);
      expect(r.code).toBe(0);
      expect(readdirSync(keysDir).sort()).toEqual(['local-1.key.retired', 'local-2.key']);
      expect(existsSync(join(keysDir, 'local-1.key'))).toBe(false);
    } finally {
      await host.close();
    }
    const after = await startHost({ adapters: builtinAdapters, dir });
    try {
      expect(after.host.api.secrets.keyIds).toEqual(['local-2']);
      expect(await openAll(after.host.api.store.db, ...boxesOf(after))).toHaveLength(2 * SEALED_COLUMNS.length + 1);
    } finally {
      await after.close();
    }
  }, 60_000);
});

describe('keys rotate --activate-in (several hosts)', () => {
  it('announces the key for later: until then the old key stays current and rewrap says when to run again', async () => {
    const dir = makeTempDir();
    const config = join(dir, 'factorgate.yaml');
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'k1.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    // A comment the administrator wrote: rotate keeps it.
    writeFileSync(join(dir, 'users.yaml'), 'users: []\n');
    writeFileSync(config, '# production ring\ndataDir: ./data\ndirectory: { type: file, path: users.yaml }\nsecrets:\n  keys:\n    - id: k1 # first key\n      keyFile: keys/k1.key\n');
    const before = Date.now();
    const r = await factorgate('keys', 'rotate', '--activate-in', '30m', '--config', config);
    expect(r.code, r.err).toBe(0);
    const id = /added key (k\d{8}(?:-\d+)?) /.exec(r.out)?.[1];
    expect(id).toBeDefined();
    const text = readFileSync(config, 'utf8');
    expect(text).toContain('# production ring');
    expect(text).toContain('- id: k1 # first key');
    const entry = (parse(text) as { secrets: { keys: { id: string; activeFrom: string }[] } }).secrets.keys[1]!;
    expect(entry.id).toBe(id);
    const activeFrom = Date.parse(entry.activeFrom);
    expect(activeFrom - before).toBeGreaterThanOrEqual(30 * 60_000 - 1000);
    expect(activeFrom - before).toBeLessThan(30 * 60_000 + 60_000);
    expect(r.out).toContain(`before ${entry.activeFrom.replace(/\.\d{3}Z$/, 'Z')}`);

    expect((await factorgate('keys', 'status', '--config', config)).out).toBe(`k1\tcurrent\t0 values\n${id}\tactive from ${entry.activeFrom.replace(/\.\d{3}Z$/, 'Z')}\t0 values\n`);
    const rewrap = await factorgate('keys', 'rewrap', '--config', config);
    expect(rewrap.code).toBe(0);
    expect(rewrap.out).toContain(`note: key ${id} becomes active at`);
    expect((await factorgate('keys', 'retire', 'k1', '--config', config)).err).toContain('key k1 is the current key');
    expect((await factorgate('keys', 'rotate', '--id', 'k1', '--config', config)).err).toContain('key id "k1" is already in secrets.keys');
  }, 60_000);
});
