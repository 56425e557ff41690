/** `factorgate users import` output: a redrawn bar on a terminal, plain lines elsewhere. */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { runUsersImport } from '../../src/directory/import-cli.js';
import { MemoryDirectory, makeUser } from '../support/ldap-memory-directory.js';

let store: Store;
beforeEach(async () => {
  store = await openStore({ driver: 'sqlite', file: ':memory:' });
});
afterEach(async () => {
  await store.close();
});

function sink(isTTY: boolean): { out: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  out.isTTY = isTTY;
  out.columns = 100;
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { out, text: () => text };
}

const dir = () => new MemoryDirectory(Array.from({ length: 25 }, (_, i) => makeUser(i)));

describe('runUsersImport', () => {
  it('prints plain progress lines and the summary when not on a terminal', async () => {
    const s = sink(false);
    await runUsersImport({ directory: dir(), db: store.db, out: s.out, batchSize: 10 });
    const text = s.text();
    expect(text).not.toContain('\r');
    expect(text).toContain('read 10 users: 10 added, 0 updated, 0 unchanged, 0 errors\n');
    expect(text).toContain('read 25 users');
    expect(text).toMatch(/Import finished \(25 users read in [\d.]+ s\):\n +added +25\n +updated +0\n +disabled +0\n +unchanged +0\n +errors +0\n/);
  });

  it('redraws a progress bar in place on a terminal, then clears it', async () => {
    const s = sink(true);
    await runUsersImport({ directory: dir(), db: store.db, out: s.out, batchSize: 10 });
    const text = s.text();
    // eslint-disable-next-line no-control-regex -- the ANSI "erase line" sequence is the point
    expect(text).toMatch(/\r\x1b\[2K\[[ =]{24}\] 10 users read/);
    expect(text).toContain('\r\x1b[2KImport finished');
  });

  it('says so in a dry run and writes nothing', async () => {
    const s = sink(false);
    const summary = await runUsersImport({ directory: dir(), db: store.db, out: s.out, dryRun: true });
    expect(summary.added).toBe(25);
    expect(s.text()).toContain('Dry run: nothing was written');
    expect(await store.db.selectFrom('users').select('id').execute()).toHaveLength(0);
  });
});
