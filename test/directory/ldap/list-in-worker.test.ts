/**
 * `LdapDirectory.list()` on its worker thread (issue 25 item 4), against a real slapd: the users
 * that cross the thread boundary page by page are exactly the in-thread listing's, failures keep
 * their code and detail, log lines reach the directory's logger, a reader that stops early ends
 * the worker, and an import whose listing fails mid-way leaves only whole batches behind.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type Slapd } from '../../support/slapd.js';
import { captureLogger } from '../../support/ldap-log.js';
import { slapdDirectoryConfig } from '../../support/ldap-directory-config.js';
import { isFactorgateError } from '../../../src/kit/errors.js';
import { ldapDirectoryConfigSchema, type LdapDirectoryConfigInput } from '../../../src/directory/ldap/config.js';
import { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';
import type { DirectoryRow, DirectoryUser } from '../../../src/directory/directory.js';
import { directoryRow } from '../../../src/directory/user-columns.js';
import { openStore } from '../../../src/store/store.js';
import { importUsers } from '../../../src/directory/import-users.js';
import { guidFromBytes } from '../../../src/directory/ldap/map-entry.js';

let slapd: Slapd;
let members: number;

beforeAll(async () => {
  slapd = await startSlapd({ users: 1500 });
  members = slapd.fixture.users.filter((u) => u.inMfaGroup).length;
});

afterAll(async () => {
  await slapd?.destroy();
});

function directory(listInWorker: boolean, overrides: Partial<LdapDirectoryConfigInput> = {}, logger = captureLogger().logger): LdapDirectory {
  return LdapDirectory.fromConfig(ldapDirectoryConfigSchema.parse(slapdDirectoryConfig(slapd, overrides)), { logger, listInWorker });
}

async function all(dir: LdapDirectory, pageSize: number): Promise<DirectoryUser[]> {
  const out: DirectoryUser[] = [];
  for await (const u of dir.list({ pageSize })) out.push(u);
  return out;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; detail: string | undefined }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFactorgateError(err)) throw new Error(`expected a FactorgateError, got ${String(err)}`);
  return { code: err.code, detail: err.detail };
}

/** Threads of this process (the worker is one while it runs). */
const threads = (): number => readdirSync('/proc/self/task').length;

describe('LdapDirectory.list() on a worker thread', () => {
  it('yields exactly the in-thread listing, field for field and in order, over many small pages', async () => {
    const inWorker = directory(true);
    const inThread = directory(false);
    const [a, b] = [await all(inWorker, 7), await all(inThread, 7)];
    expect(a.length).toBe(members);
    expect(a).toEqual(b);
    // Unicode, optional attributes and groups survive the crossing.
    expect(a.some((u) => u.username === '山田')).toBe(true);
    expect(a.some((u) => u.email === undefined)).toBe(true);
    expect(a.every((u) => Array.isArray(u.groups))).toBe(true);
    await Promise.all([inWorker.close(), inThread.close()]);
  });

  it("listRows() gives list()'s users as store rows, in order, from the worker and in-thread alike", async () => {
    const inWorker = directory(true);
    const inThread = directory(false);
    const rows = async (dir: LdapDirectory): Promise<{ pages: number; rows: DirectoryRow[] }> => {
      const out: DirectoryRow[] = [];
      let pages = 0;
      for await (const page of dir.listRows({ pageSize: 50 })) {
        expect(page.length).toBeLessThanOrEqual(50);
        pages++;
        out.push(...page);
      }
      return { pages, rows: out };
    };
    const [a, b, users] = [await rows(inWorker), await rows(inThread), await all(inThread, 50)];
    expect(a.rows).toEqual(b.rows);
    expect(a.rows).toEqual(users.map(directoryRow));
    expect(a.pages).toBeGreaterThanOrEqual(Math.ceil(members / 50));
    expect(a.rows.some((r) => r[6] === null)).toBe(true);
    await Promise.all([inWorker.close(), inThread.close()]);
  });

  it('raises a failure inside the worker as the same FactorgateError as in-thread (code and detail)', async () => {
    const base = `ou=Nowhere,${slapd.suffix}`;
    const inWorker = directory(true, { baseDns: [base] });
    const inThread = directory(false, { baseDns: [base] });
    const [a, b] = [await failure(all(inWorker, 100)), await failure(all(inThread, 100))];
    expect(a.code).toBe('CONFIG_INVALID');
    expect(a).toEqual(b);
    expect(a.detail).toContain('base DN does not exist');
    const refused = directory(true, { bindPassword: 'not-the-password' });
    const c = await failure(all(refused, 100));
    expect(c.code).toBe('DIRECTORY_UNAVAILABLE');
    expect(c.detail).toContain('service bind refused');
    await Promise.all([inWorker.close(), inThread.close(), refused.close()]);
  });

  it("sends the worker's log records to the directory's logger, once each, without the bind password", async () => {
    const log = captureLogger();
    // No entry has this attribute, so every entry lacks a sign-in name and is skipped and logged.
    const dir = directory(true, { attributes: { username: 'noSuchAttribute' } }, log.logger);
    expect(await all(dir, 50)).toEqual([]);
    const skipped = log.records.filter((r) => r.msg === 'directory entry lacks the id or sign-in name attribute; skipped');
    expect(skipped.length).toBe(members);
    expect(skipped[0]).toMatchObject({ level: 40, component: 'directory', directory: 'ldap' });
    expect(log.records.find((r) => r.msg === 'directory entries skipped during listing')).toMatchObject({ skipped: members });
    expect(log.text()).not.toContain(slapd.bindPassword);
    // The bindings appear once per record, not again from the worker's own logger.
    expect(log.text().split('\n')[0]!.match(/"component"/g)).toHaveLength(1);
    await dir.close();
  });

  it('ends the worker when the reader stops early, and lists again afterwards', async () => {
    const dir = directory(true);
    await all(dir, 500); // threads the runtime starts once (libuv pool, GC helpers) now exist
    const before = threads();
    const it = dir.list({ pageSize: 10 })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    expect(threads()).toBeGreaterThan(before);
    await it.return?.(undefined);
    for (let i = 0; i < 100 && threads() > before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(threads()).toBe(before);
    expect((await all(dir, 500)).length).toBe(members);
    await dir.close();
  });

  it('an import whose listing is cut off mid-way fails with DIRECTORY_UNAVAILABLE and keeps only whole batches, disabling nobody', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'factorgate-import-worker-'));
    const store = await openStore({ driver: 'sqlite', file: join(tmp, 'store.db') });
    const dir = directory(true);
    try {
      let batches = 0;
      const err = await failure(
        importUsers({
          directory: dir,
          db: store.db,
          batchSize: 200,
          pageSize: 50,
          onProgress: () => {
            if (++batches === 2) void slapd.stop();
          },
        }),
      );
      expect(err.code).toBe('DIRECTORY_UNAVAILABLE');
      const rows = await store.db.selectFrom('users').select(['external_id', 'disabled']).execute();
      expect(rows.length).toBeGreaterThanOrEqual(400);
      expect(rows.length).toBeLessThan(members);
      expect(rows.length % 200).toBe(0);
      // Disabled only where the directory says so (userAccountControl), never for being absent.
      const disabledInDirectory = new Set(slapd.fixture.users.filter((u) => u.disabled).map((u) => guidFromBytes(u.objectGuid)));
      expect(rows.filter((r) => r.disabled === 1).every((r) => disabledInDirectory.has(r.external_id!))).toBe(true);
      expect(rows.filter((r) => r.disabled === 0).some((r) => disabledInDirectory.has(r.external_id!))).toBe(false);
    } finally {
      await slapd.start();
      await dir.close();
      await store.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
