/**
 * The data folder is 0700 and the database files 0600, whatever the umask: a fresh start
 * creates them so, an older install's 0755/0644 is tightened at the next start (with a log
 * line), and a shared folder holding the database (sticky bit, as /tmp) is left as it is.
 */
import { chmodSync, mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { makeTempDir, startHost } from '../support/host-harness.js';

const mode = (path: string) => statSync(path).mode & 0o7777;

let restoreUmask: number | undefined;
afterEach(() => {
  if (restoreUmask !== undefined) process.umask(restoreUmask);
  restoreUmask = undefined;
});

describe('private data files', () => {
  it('a first start creates the data folder 0700 and the database, its WAL and shared-memory files 0600', async () => {
    restoreUmask = process.umask(0o000); // the loosest umask: modes must not rely on it
    const h = await startHost();
    try {
      // A write makes sure the WAL exists.
      await h.host.api.users.upsertFromDirectory({ externalId: 'e1', username: 'alice', disabled: false }, 'file');
      const data = join(h.dir, 'data');
      expect(mode(data)).toBe(0o700);
      for (const f of ['factorgate.db', 'factorgate.db-wal', 'factorgate.db-shm']) {
        expect(existsSync(join(data, f))).toBe(true);
        expect(mode(join(data, f)).toString(8)).toBe('600');
      }
      expect(mode(join(data, 'keys'))).toBe(0o700);
      expect(mode(join(data, 'keys', 'local-1.key'))).toBe(0o600);
    } finally {
      await h.close();
    }
  });

  it('tightens an older install (folder 0755, database 0644) at the next start and says so in the log', async () => {
    const dir = makeTempDir('fg-perm-');
    const data = join(dir, 'data');
    mkdirSync(data);
    chmodSync(data, 0o755);
    const first = await openStore({ driver: 'sqlite', file: join(data, 'factorgate.db') });
    await first.close();
    for (const f of ['factorgate.db', 'factorgate.db-wal', 'factorgate.db-shm']) {
      if (!existsSync(join(data, f))) writeFileSync(join(data, f), '');
      chmodSync(join(data, f), 0o644);
    }
    const h = await startHost({ dir });
    try {
      expect(mode(data)).toBe(0o700);
      for (const f of ['factorgate.db', 'factorgate.db-wal', 'factorgate.db-shm']) expect(mode(join(data, f)).toString(8)).toBe('600');
      expect(h.logs.some((l) => l.includes('the data folder was readable by others; its mode is now 0700'))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('leaves a shared folder holding the database alone, but still makes the database file private', async () => {
    const shared = join(makeTempDir('fg-perm-'), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const store = await openStore({ driver: 'sqlite', file: join(shared, 'fg.db') });
    try {
      await store.db.insertInto('kv').values({ key: 'k', value: 'v', updated_at: 0 }).execute();
      expect(mode(shared)).toBe(0o1777);
      expect(mode(join(shared, 'fg.db'))).toBe(0o600);
      expect(mode(join(shared, 'fg.db-wal'))).toBe(0o600);
    } finally {
      await store.close();
    }
  });
});
